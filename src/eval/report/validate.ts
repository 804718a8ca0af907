/**
 * Small field checkers for the report's JSON inputs. Every failure is an InputError that
 * names the file, the field path (`study.json: accuracy[3].idAccuracy`), what was expected
 * and what came.
 */
import { InputError } from '../../errors.js';

/** Where a value sits: the file and the field path inside it. */
export interface At {
  readonly file: string;
  readonly path: string;
}

/** A child location (`accuracy` then `[3]` then `idAccuracy`). */
export function child(at: At, key: string | number): At {
  const path = typeof key === 'number' ? `${at.path}[${key}]` : at.path ? `${at.path}.${key}` : key;
  return { file: at.file, path };
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `'${v.length > 40 ? v.slice(0, 40) + '...' : v}'`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** Throws the standard message: `file: field: expected X, got Y`. */
export function fail(at: At, expected: string, got: unknown): never {
  const where = at.path ? `${at.file}: ${at.path}` : at.file;
  throw new InputError(`${where}: expected ${expected}, got ${describe(got)}`);
}

/** A plain object; unknown keys are rejected so that typos are caught. */
export function obj(v: unknown, at: At, known: readonly string[]): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(at, 'an object', v);
  const rec = v as Record<string, unknown>;
  for (const k of Object.keys(rec)) {
    if (!known.includes(k)) fail(child(at, k), `no such field (known: ${known.join(', ')})`, rec[k]);
  }
  return rec;
}

/** An array (possibly empty). */
export function arr(v: unknown, at: At): readonly unknown[] {
  if (!Array.isArray(v)) fail(at, 'an array', v);
  return v as unknown[];
}

/** A finite number within [min, max]. */
export function num(v: unknown, at: At, min = -Infinity, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(at, 'a finite number', v);
  if (v < min || v > max) fail(at, `a number in [${min}, ${max}]`, v);
  return v;
}

/** An integer >= min. */
export function int(v: unknown, at: At, min = 0): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) fail(at, `an integer >= ${min}`, v);
  return v;
}

/** A non-empty string. */
export function str(v: unknown, at: At): string {
  if (typeof v !== 'string' || v.trim() === '') fail(at, 'a non-empty string', v);
  return v;
}

/** One of the listed string literals. */
export function oneOf<T extends string>(v: unknown, at: At, options: readonly T[]): T {
  if (typeof v !== 'string' || !(options as readonly string[]).includes(v)) fail(at, `one of ${options.map((o) => `'${o}'`).join(', ')}`, v);
  return v as T;
}

/** A fraction in [0, 1] (accuracies, oracle scores). */
export function fraction(v: unknown, at: At): number {
  return num(v, at, 0, 1);
}

/** A closed interval [lo, hi] with lo <= hi, each within [min, max]. */
export function interval(v: unknown, at: At, min = -Infinity, max = Infinity): readonly [number, number] {
  const a = arr(v, at);
  if (a.length !== 2) fail(at, 'a two-number interval [lo, hi]', v);
  const lo = num(a[0], child(at, 0), min, max);
  const hi = num(a[1], child(at, 1), min, max);
  if (lo > hi) fail(at, 'an interval with lo <= hi', `[${lo}, ${hi}]`);
  return [lo, hi];
}

/** An ISO 8601 date or date-time string (`2025-09-10` or `2025-09-10T12:00:00Z`). */
export function isoDate(v: unknown, at: At): string {
  const s = str(v, at);
  if (!/^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(s) || Number.isNaN(Date.parse(s))) fail(at, 'an ISO 8601 date such as 2025-09-10 or 2025-09-10T12:00:00Z', s);
  return s;
}

/** Runs `check` only when the field is present (undefined stays undefined). */
export function opt<T>(v: unknown, check: (v: unknown) => T): T | undefined {
  return v === undefined ? undefined : check(v);
}
