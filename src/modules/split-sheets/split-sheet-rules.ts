import type { PutSplitSheetDto, SplitSheetMasterDto, SplitSheetPartyDto } from './dto/split-sheet.dto';

export const TOTAL_BPS = 10_000;
export const COMPOSITION_ROLES: readonly string[] = ['writer', 'composer', 'publisher'];
const IPI = /^\d{9,11}$/;

export interface SplitSheetGroups {
  composition: SplitSheetPartyDto[];
  master: SplitSheetMasterDto[];
}

const party = (name: string) => name.trim().replace(/\s+/g, ' ').toLowerCase();
const blank = (v: string | null | undefined) =>
  v === undefined || v === null || v.trim() === '' ? null : v.trim();

/**
 * The structural rules of a split sheet, every problem at once (field path → messages): each
 * group totals exactly 10,000 basis points, every share is 1–10,000, composition roles are
 * writer | composer | publisher, an IPI is 9–11 digits, and no party appears twice (composition:
 * the same name, or the same IPI, in the same role; master: the same name).
 */
export function splitSheetProblems(sheet: PutSplitSheetDto): Record<string, string[]> {
  const errors: Record<string, string[]> = {};
  const add = (path: string, message: string) => (errors[path] ??= []).push(message);
  const shares = (group: 'composition' | 'master', items: readonly { share_bps: number }[]) => {
    items.forEach((p, i) => {
      if (p.share_bps < 1 || p.share_bps > TOTAL_BPS)
        add(`${group}[${i}].share_bps`, `must be 1–${TOTAL_BPS} basis points`);
    });
    const total = items.reduce((sum, p) => sum + p.share_bps, 0);
    if (total !== TOTAL_BPS) add(group, `shares total ${total} basis points, not ${TOTAL_BPS}`);
  };

  shares('composition', sheet.composition);
  const seen = new Map<string, number>();
  sheet.composition.forEach((p, i) => {
    if (!COMPOSITION_ROLES.includes(p.role))
      add(`composition[${i}].role`, `unknown role "${p.role}": writer, composer or publisher`);
    const ipi = blank(p.ipi);
    if (ipi !== null && !IPI.test(ipi)) add(`composition[${i}].ipi`, 'an IPI is 9 to 11 digits');
    // one party in one role once: by its name, and by its IPI when it has one
    const keys = [`name:${party(p.name)}:${p.role}`, ...(ipi ? [`ipi:${ipi}:${p.role}`] : [])];
    const first = keys.map((k) => seen.get(k)).find((j) => j !== undefined);
    if (first !== undefined)
      add(`composition[${i}].name`, `duplicate party: the same ${p.role} as composition[${first}]`);
    for (const k of keys) if (!seen.has(k)) seen.set(k, i);
  });

  shares('master', sheet.master);
  const seenMaster = new Map<string, number>();
  sheet.master.forEach((p, i) => {
    const key = party(p.name);
    if (seenMaster.has(key))
      add(`master[${i}].name`, `duplicate party: the same as master[${seenMaster.get(key)}]`);
    else seenMaster.set(key, i);
  });
  return errors;
}

/** The sheet as stored: names trimmed, an absent PRO or IPI null. */
export function normalizeSplitSheet(sheet: PutSplitSheetDto): SplitSheetGroups {
  return {
    composition: sheet.composition.map((p) => ({
      name: p.name.trim(),
      role: p.role,
      pro: blank(p.pro),
      ipi: blank(p.ipi),
      share_bps: p.share_bps,
    })),
    master: sheet.master.map((p) => ({ name: p.name.trim(), share_bps: p.share_bps })),
  };
}
