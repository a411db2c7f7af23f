interface Waiting<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (err: unknown) => void;
}

/**
 * Combines concurrent calls that share a key into batches. The first call for a key runs at once;
 * calls for that key arriving while it runs wait, and run together as one batch (at most `max`
 * items) when it returns; and so on until none is waiting. A key one caller uses at a time pays
 * nothing (no timer, no added latency); a key many callers hit at once pays one round trip, one
 * lock turn-around and one commit per batch instead of per call.
 *
 * Within one process only: whatever must hold across instances is the callee's to enforce (a row
 * lock in the statement `run` sends). `run` answers one result per item, in order. When a batch of
 * several fails with an error `split` accepts (an error one item may have caused and that left
 * nothing done, such as a constraint violation that rolled the statement back), each of its items
 * runs again alone, so only the item at fault sees the error; any other error reaches every item.
 */
export class CallCombiner<K, T, R> {
  private readonly waiting = new Map<K, Waiting<T, R>[]>();

  constructor(
    private readonly run: (key: K, items: T[]) => Promise<R[]>,
    private readonly opts: { max: number; split: (err: unknown) => boolean },
  ) {}

  call(key: K, item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const entry = { item, resolve, reject };
      const queue = this.waiting.get(key);
      if (queue) {
        queue.push(entry);
        return;
      }
      this.waiting.set(key, []);
      void this.drain(key, [entry]);
    });
  }

  private async drain(key: K, batch: Waiting<T, R>[]): Promise<void> {
    for (;;) {
      await this.settle(key, batch);
      const queue = this.waiting.get(key) ?? [];
      if (!queue.length) {
        this.waiting.delete(key);
        return;
      }
      batch = queue.splice(0, this.opts.max);
    }
  }

  private async settle(key: K, batch: Waiting<T, R>[]): Promise<void> {
    try {
      const results = await this.run(
        key,
        batch.map((w) => w.item),
      );
      if (results.length !== batch.length) {
        throw new Error(`combined call answered ${results.length} results for ${batch.length} items`);
      }
      batch.forEach((w, i) => w.resolve(results[i]));
    } catch (err) {
      if (batch.length > 1 && this.opts.split(err)) {
        await Promise.all(batch.map((w) => this.settle(key, [w])));
        return;
      }
      for (const w of batch) w.reject(err);
    }
  }
}
