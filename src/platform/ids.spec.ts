import { isWellFormedId, newId } from './ids';

describe('ids', () => {
  it('are prefixed, well-formed, and sort in creation order', () => {
    const ids = Array.from({ length: 1000 }, () => newId('usr'));
    expect(ids.every(isWellFormedId)).toBe(true);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
