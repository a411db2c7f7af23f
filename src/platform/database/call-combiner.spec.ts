import { CallCombiner } from './call-combiner';

/** A callee whose calls the test finishes by hand, recording each batch it was given. */
function manualCallee() {
  const calls: { key: string; items: number[]; finish: (err?: Error) => void }[] = [];
  const run = (key: string, items: number[]) =>
    new Promise<string[]>((resolve, reject) => {
      calls.push({
        key,
        items,
        finish: (err) => (err ? reject(err) : resolve(items.map((i) => `${key}:${i}`))),
      });
    });
  return { calls, run };
}

const tick = () => new Promise((r) => setImmediate(r));
const constraint = Object.assign(new Error('violates foreign key constraint'), { code: '23503' });
const split = (err: unknown) => (err as { code?: string }).code === '23503';

describe('CallCombiner', () => {
  it('runs a lone call at once, alone', async () => {
    const { calls, run } = manualCallee();
    const c = new CallCombiner(run, { max: 8, split });
    const answer = c.call('a', 1);
    expect(calls.map((x) => x.items)).toEqual([[1]]);
    calls[0].finish();
    await expect(answer).resolves.toBe('a:1');
  });

  it('batches the calls that arrive while one runs, per key, in arrival order, at most max', async () => {
    const { calls, run } = manualCallee();
    const c = new CallCombiner(run, { max: 3, split });
    const answers = [c.call('a', 1), c.call('a', 2), c.call('b', 9), c.call('a', 3), c.call('a', 4)];
    answers.push(c.call('a', 5));
    // a's first call and b's run at once; a's others wait
    expect(calls.map((x) => [x.key, x.items])).toEqual([
      ['a', [1]],
      ['b', [9]],
    ]);
    calls[0].finish();
    await tick();
    expect(calls[2]).toMatchObject({ key: 'a', items: [2, 3, 4] });
    calls[2].finish();
    await tick();
    expect(calls[3]).toMatchObject({ key: 'a', items: [5] });
    calls[3].finish();
    calls[1].finish();
    await expect(Promise.all(answers)).resolves.toEqual(['a:1', 'a:2', 'b:9', 'a:3', 'a:4', 'a:5']);
    // nothing left waiting: the next call runs at once again
    const again = c.call('a', 6);
    expect(calls).toHaveLength(5);
    calls[4].finish();
    await expect(again).resolves.toBe('a:6');
  });

  it('runs each item of a failed batch alone when the error is one an item may have caused', async () => {
    const { calls, run } = manualCallee();
    const c = new CallCombiner(run, { max: 8, split });
    const first = c.call('a', 1);
    const rest = [c.call('a', 2), c.call('a', 3)].map((p) =>
      p.then(
        (v) => ({ v }),
        (e: unknown) => ({ e }),
      ),
    );
    calls[0].finish();
    await tick();
    calls[1].finish(constraint); // the batch [2, 3]
    await tick();
    expect(calls.slice(2).map((x) => x.items)).toEqual([[2], [3]]);
    calls[2].finish(constraint);
    calls[3].finish();
    await expect(first).resolves.toBe('a:1');
    await expect(Promise.all(rest)).resolves.toEqual([{ e: constraint }, { v: 'a:3' }]);
  });

  it('hands any other error to every item of the batch, and goes on with the next', async () => {
    const { calls, run } = manualCallee();
    const c = new CallCombiner(run, { max: 8, split });
    const first = c.call('a', 1);
    const batch = [c.call('a', 2), c.call('a', 3)];
    const lost = new Error('Connection terminated unexpectedly');
    calls[0].finish(lost);
    await expect(first).rejects.toBe(lost);
    calls[1].finish(lost);
    await expect(Promise.all(batch.map((p) => p.catch((e: unknown) => e)))).resolves.toEqual([lost, lost]);
    expect(calls).toHaveLength(2);
  });

  it('refuses an answer that does not have one result per item', async () => {
    const c = new CallCombiner(async () => ['only one'], { max: 8, split });
    const lone = c.call('a', 1);
    const pair = [c.call('a', 2), c.call('a', 3)];
    await expect(lone).resolves.toBe('only one');
    for (const p of pair) await expect(p).rejects.toThrow('1 results for 2 items');
  });
});
