/**
 * The one way to run SQL: a parameterised statement (`$1`, `$2`… placeholders) and its values.
 * Every repository and every platform writer takes a `Db` (or a `Tx` where the work must be inside
 * a transaction): `Database` itself runs each statement on its own (autocommit), the `Tx` handed
 * to `Database.transaction`'s callback runs them inside that transaction.
 */
export interface Db {
  /** the rows of one statement, typed by the caller; `name` prepares it once per connection (hot paths) */
  query<T>(text: string, params?: readonly unknown[], name?: string): Promise<T[]>;
  /** how many rows one statement changed */
  execute(text: string, params?: readonly unknown[], name?: string): Promise<number>;
}

/** A `Db` that is one open transaction: what functions that take locks or write several rows require. */
export interface Tx extends Db {
  readonly inTransaction: true;
}
