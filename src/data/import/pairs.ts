/**
 * From rows to candidate pairs, per layout: pairwise (chosen/rejected columns), label
 * (Pick-a-Pic: two media and label_0 = P(first preferred), 0.5 a tie) and ranking
 * (ImageReward: ranks over a list of media, or one media per row gathered by a group column;
 * every two media of a prompt make a pair, lower rank preferred, equal ranks a tie).
 * Problems with one row are thrown as InputErrors for the caller to record and skip.
 */
import { InputError } from '../../errors.js';
import type { ColumnMap, Layout } from './columns.js';

/** A pair before its media are stored: cells are whatever the row held. */
export interface CandidatePair {
  /** Stable id: the id column, or the row label, plus `-i-j` for ranking pairs. */
  readonly key: string;
  readonly where: string;
  readonly row: Record<string, unknown>;
  readonly prompt: string;
  readonly chosen: unknown;
  readonly rejected: unknown;
  readonly tie: boolean;
  /** For ranking pairs: the positions of chosen and rejected in the ranking (for messages). */
  readonly positions?: readonly [number, number];
}

/** A label within this distance of 0, 0.5 or 1 counts as that value (float round-off in stored data). */
const LABEL_EPS = 1e-6;

/** A number from a cell holding a number, bigint, boolean or numeric string; null otherwise. */
export function cellNumber(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

/** A boolean from true/false, 1/0, "true"/"false", "yes"/"no"; null when absent or unreadable. */
export function cellBoolean(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return Number(v) !== 0;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (['true', '1', 'yes'].includes(s)) return true;
    if (['false', '0', 'no', ''].includes(s)) return false;
  }
  return null;
}

/** A non-empty trimmed string from a string cell (or UTF-8 bytes); null otherwise. */
export function cellString(v: unknown): string | null {
  if (typeof v === 'string') return v.trim() === '' ? null : v.trim();
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (v instanceof Uint8Array) return cellString(Buffer.from(v).toString('utf8'));
  return null;
}

/** A list from a list cell, or from a string holding a JSON list (CSV cells). */
function cellList(v: unknown, what: string): unknown[] {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string' && v.trim().startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(v);
      if (Array.isArray(parsed)) return parsed;
    } catch {
      // falls through to the error below
    }
  }
  throw new InputError(`${what} must be a list (or a JSON list in a CSV cell), got ${v === null || v === undefined ? 'nothing' : typeof v}`);
}

/**
 * Reads a Pick-a-Pic style label: P(first media preferred). 1 -> first chosen, 0 -> second
 * chosen, 0.5 -> tie. Anything else is an InputError naming the value.
 * @example parseLabel(0.5, 'row 3') // 'tie'
 */
export function parseLabel(v: unknown, where: string): 'first' | 'second' | 'tie' {
  const n = cellNumber(v);
  if (n !== null) {
    if (Math.abs(n - 1) < LABEL_EPS) return 'first';
    if (Math.abs(n) < LABEL_EPS) return 'second';
    if (Math.abs(n - 0.5) < LABEL_EPS) return 'tie';
  }
  throw new InputError(`${where}: bad label ${JSON.stringify(typeof v === 'bigint' ? String(v) : v)}; expected 1 (first media preferred), 0 (second preferred) or 0.5 (tie)`);
}

function promptOf(row: Record<string, unknown>, map: ColumnMap, where: string): string {
  const p = cellString(row[map.prompt!]);
  if (p === null) throw new InputError(`${where}: prompt (column '${map.prompt}') is missing or empty`);
  return p;
}

function keyOf(row: Record<string, unknown>, map: ColumnMap, where: string): string {
  return (map.id !== undefined ? cellString(row[map.id]) : null) ?? where;
}

/** All pairs of a ranking: for each i < j, the better-ranked (lower) media is chosen; equal ranks tie. */
export function rankingPairs(media: readonly unknown[], ranks: readonly number[], base: Omit<CandidatePair, 'chosen' | 'rejected' | 'tie' | 'key' | 'positions'>, key: string): CandidatePair[] {
  const out: CandidatePair[] = [];
  for (let i = 0; i < media.length; i++) {
    for (let j = i + 1; j < media.length; j++) {
      const ri = ranks[i]!;
      const rj = ranks[j]!;
      const [c, r] = ri <= rj ? [i, j] : [j, i];
      out.push({ ...base, key: `${key}-${i}-${j}`, chosen: media[c], rejected: media[r], tie: ri === rj, positions: [c, r] });
    }
  }
  return out;
}

function ranksOf(v: unknown, n: number, where: string, column: string): number[] {
  const list = cellList(v, `${where}: ranks (column '${column}')`);
  if (list.length !== n) throw new InputError(`${where}: ranks (column '${column}') has ${list.length} entries but there are ${n} media; expected one rank per media`);
  return list.map((x, k) => {
    const r = cellNumber(x);
    if (r === null) throw new InputError(`${where}: rank ${k} (column '${column}') is ${JSON.stringify(x)}; expected a number (lower is better)`);
    return r;
  });
}

/**
 * The pairs one row makes (pairwise, label, or ranking with a list column). Grouped rankings
 * (one media per row) go through `RankingGroups` instead.
 * @example rowPairs({ prompt: 'a cat', chosen: 'a.png', rejected: 'b.png' }, 'f.jsonl:1', { prompt: 'prompt', chosen: 'chosen', rejected: 'rejected' }, 'pairwise')
 */
export function rowPairs(row: Record<string, unknown>, where: string, map: ColumnMap, layout: Layout): CandidatePair[] {
  const prompt = promptOf(row, map, where);
  const key = keyOf(row, map, where);
  const base = { where, row, prompt };
  if (layout === 'pairwise') {
    const tie = map.tie !== undefined ? cellBoolean(row[map.tie]) : false;
    if (tie === null) throw new InputError(`${where}: tie (column '${map.tie}') is ${JSON.stringify(row[map.tie!])}; expected true or false`);
    return [{ ...base, key, chosen: row[map.chosen!], rejected: row[map.rejected!], tie }];
  }
  if (layout === 'label') {
    const label = parseLabel(row[map.label!], `${where}: label (column '${map.label}')`);
    const [a, b] = [row[map.image0!], row[map.image1!]];
    return [{ ...base, key, chosen: label === 'second' ? b : a, rejected: label === 'second' ? a : b, tie: label === 'tie' }];
  }
  const media = cellList(row[map.images!], `${where}: images (column '${map.images}')`);
  if (media.length < 2) throw new InputError(`${where}: a ranking needs at least 2 media, got ${media.length}`);
  return rankingPairs(media, ranksOf(row[map.ranks!], media.length, where, map.ranks!), base, key);
}

/** Gathers one-media-per-row rankings by their group column, then emits each group's pairs. */
export class RankingGroups {
  private readonly groups = new Map<string, { rows: Record<string, unknown>[]; wheres: string[]; media: unknown[]; ranks: number[] }>();

  constructor(private readonly map: ColumnMap) {}

  /** Adds a row; throws InputError when its group, rank or prompt is unusable. */
  add(row: Record<string, unknown>, where: string): void {
    const m = this.map;
    const group = cellString(row[m.group!]);
    if (group === null) throw new InputError(`${where}: group (column '${m.group}') is missing`);
    const rank = cellNumber(row[m.ranks!]);
    if (rank === null) throw new InputError(`${where}: rank (column '${m.ranks}') is ${JSON.stringify(typeof row[m.ranks!] === 'bigint' ? String(row[m.ranks!]) : row[m.ranks!])}; expected a number (lower is better)`);
    promptOf(row, m, where);
    const g = this.groups.get(group) ?? { rows: [], wheres: [], media: [], ranks: [] };
    g.rows.push(row);
    g.wheres.push(where);
    g.media.push(row[m.image!]);
    g.ranks.push(rank);
    this.groups.set(group, g);
  }

  /** Every group's pairs, in the order groups first appeared; single-row groups are reported. */
  *pairs(): Generator<CandidatePair[] | { where: string; error: string }> {
    for (const [group, g] of this.groups) {
      const where = `${g.wheres.length === 1 ? g.wheres[0] : `${g.wheres[0]} (+${g.wheres.length - 1} rows)`} group '${group}'`;
      if (g.rows.length < 2) {
        yield { where, error: 'a ranking needs at least 2 media for its group, got 1' };
        continue;
      }
      const prompts = new Set(g.rows.map((r) => cellString(r[this.map.prompt!])));
      if (prompts.size > 1) {
        yield { where, error: `rows of one group have different prompts (${[...prompts].slice(0, 3).map((p) => JSON.stringify(p)).join(', ')}); check the group column` };
        continue;
      }
      const base = { where, row: g.rows[0]!, prompt: cellString(g.rows[0]![this.map.prompt!])! };
      const pairs = rankingPairs(g.media, g.ranks, base, group).map((p) => ({ ...p, where: `${g.wheres[p.positions![0]]} vs ${g.wheres[p.positions![1]]} (group '${group}')`, row: g.rows[p.positions![0]]! }));
      yield pairs;
    }
  }
}
