/** Token months are calendar months in UTC. */
export const periodOf = (d: Date): string => d.toISOString().slice(0, 7);

/** 00:00 UTC on the 1st of the next month. */
export function nextReset(d: Date): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
}
