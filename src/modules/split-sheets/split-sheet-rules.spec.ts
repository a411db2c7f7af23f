import { normalizeSplitSheet, splitSheetProblems } from './split-sheet-rules';

const valid = {
  composition: [
    { name: 'Ada', role: 'writer', ipi: '123456789', share_bps: 6000 },
    { name: 'Ada', role: 'composer', ipi: '123456789', share_bps: 4000 },
  ],
  master: [{ name: 'Ada', share_bps: 10_000 }],
};

describe('split sheet rules', () => {
  it('a sheet whose groups each total 10,000 with known roles and good IPIs is valid (one party may hold two roles)', () => {
    expect(splitSheetProblems(valid)).toEqual({});
  });

  it('empty groups do not add up', () => {
    expect(splitSheetProblems({ composition: [], master: [] })).toEqual({
      composition: ['shares total 0 basis points, not 10000'],
      master: ['shares total 0 basis points, not 10000'],
    });
  });

  it('shares outside 1–10,000, IPIs of 8 or 12 digits, the same IPI twice in one role', () => {
    const problems = splitSheetProblems({
      composition: [
        { name: 'A', role: 'writer', ipi: '12345678', share_bps: 0 },
        { name: 'B', role: 'writer', ipi: '123456789012', share_bps: 10_000 },
        { name: 'C', role: 'publisher', ipi: '98765432101', share_bps: -1 },
        { name: 'D', role: 'publisher', ipi: ' 98765432101 ', share_bps: 1 },
      ],
      master: [{ name: 'M', share_bps: 10_001 }],
    });
    expect(problems).toEqual({
      'composition[0].share_bps': ['must be 1–10000 basis points'],
      'composition[0].ipi': ['an IPI is 9 to 11 digits'],
      'composition[1].ipi': ['an IPI is 9 to 11 digits'],
      'composition[2].share_bps': ['must be 1–10000 basis points'],
      'composition[3].name': ['duplicate party: the same publisher as composition[2]'],
      'master[0].share_bps': ['must be 1–10000 basis points'],
      master: ['shares total 10001 basis points, not 10000'],
    });
  });

  it('stores trimmed names and null for an absent PRO or IPI', () => {
    expect(
      normalizeSplitSheet({
        composition: [{ name: '  Ada  ', role: 'writer', pro: ' ', share_bps: 10_000 }],
        master: [{ name: ' Ada', share_bps: 10_000 }],
      }),
    ).toEqual({
      composition: [{ name: 'Ada', role: 'writer', pro: null, ipi: null, share_bps: 10_000 }],
      master: [{ name: 'Ada', share_bps: 10_000 }],
    });
  });
});
