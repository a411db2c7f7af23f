import { idFloor, isWellFormedId, newId } from './ids';

describe('ids', () => {
  it('are prefixed, well-formed, and sort in creation order', () => {
    const ids = Array.from({ length: 1000 }, () => newId('usr'));
    expect(ids.every(isWellFormedId)).toBe(true);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('idFloor', () => {
  it('sorts before every id made at or after its time, after those made before', () => {
    const now = Date.now();
    const made = newId('evt');
    expect(idFloor('evt', now - 1) < made).toBe(true);
    expect(idFloor('evt', Date.now() + 1) > made).toBe(true);
    expect(idFloor('evt', now)).toMatch(/^evt_[0-9a-hjkmnp-tv-z]{26}$/);
  });
});
