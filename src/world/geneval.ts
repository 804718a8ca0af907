/**
 * GenEval's metadata format: validation (with line numbers), reading and writing JSONL,
 * class maps for files whose classes are outside the world's vocabulary, and the prompt text
 * GenEval's templates give for a record.
 */
import { readFileSync, existsSync } from 'node:fs';
import { InputError } from '../errors.js';
import { parseJsonl, toJsonl, writeFileAtomic, readJson } from '../util/fs.js';
import { DIRECTIONS, GENEVAL_TAGS, MOTION_KINDS, RELATIONS, SPEEDS, type ExcludeClause, type GenevalMetadata, type IncludeClause, type MotionClause, type Relation } from './types.js';
import { COLORS, NUMBER_WORDS, SHAPE_PLURALS, SHAPES, asShape, type Shape } from './vocab.js';

/** Maps a file's class names (e.g. COCO's) to world shapes. */
export type ClassMap = Readonly<Record<string, Shape>>;


function fail(where: string, msg: string): never {
  throw new InputError(`${where}: ${msg}`);
}

function posInt(v: unknown, where: string, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(where, `'${field}' must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * Validates one parsed metadata object (structure, tag, colours, relations, indices). Class
 * names are checked later, against the vocabulary or a class map.
 * @example validateMetadata({ tag: 'single_object', include: [{ class: 'circle', count: 1 }], prompt: 'a photo of a circle' }, 'x:1')
 */
export function validateMetadata(value: unknown, where: string): GenevalMetadata {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(where, 'expected a JSON object {tag, include, exclude?, prompt}');
  const v = value as Record<string, unknown>;
  if (!(GENEVAL_TAGS as readonly string[]).includes(v.tag as string)) fail(where, `tag must be one of ${GENEVAL_TAGS.join(', ')}, got ${JSON.stringify(v.tag)}`);
  if (typeof v.prompt !== 'string' || v.prompt === '') fail(where, "'prompt' must be a non-empty string");
  if (!Array.isArray(v.include) || v.include.length === 0) fail(where, "'include' must be a non-empty array of clauses");
  const include: IncludeClause[] = v.include.map((c: unknown, i: number) => {
    const w = `${where}: include[${i}]`;
    if (typeof c !== 'object' || c === null) fail(w, 'expected an object {class, count, color?, position?}');
    const r = c as Record<string, unknown>;
    if (typeof r.class !== 'string' || r.class === '') fail(w, "'class' must be a non-empty string");
    const count = posInt(r.count, w, 'count');
    let color: string | undefined;
    if (r.color !== undefined) {
      if (!(COLORS as readonly string[]).includes(r.color as string)) fail(w, `unknown colour ${JSON.stringify(r.color)}; known colours: ${COLORS.join(', ')}`);
      color = r.color as string;
    }
    let position: readonly [Relation, number] | undefined;
    if (r.position !== undefined) {
      const p = r.position;
      if (!Array.isArray(p) || p.length !== 2) fail(w, "'position' must be [relation, index]");
      if (!(RELATIONS as readonly string[]).includes(p[0] as string)) fail(w, `unknown relation ${JSON.stringify(p[0])}; known relations: ${RELATIONS.join(', ')}`);
      if (typeof p[1] !== 'number' || !Number.isInteger(p[1]) || p[1] < 0 || p[1] >= i) fail(w, `position index must refer to an earlier include clause (0..${i - 1}), got ${JSON.stringify(p[1])}`);
      position = [p[0] as Relation, p[1]];
    }
    return { class: r.class, count, ...(color ? { color } : {}), ...(position ? { position } : {}) };
  });
  let exclude: ExcludeClause[] | undefined;
  if (v.exclude !== undefined) {
    if (!Array.isArray(v.exclude)) fail(where, "'exclude' must be an array of {class, count}");
    exclude = v.exclude.map((c: unknown, i: number) => {
      const w = `${where}: exclude[${i}]`;
      if (typeof c !== 'object' || c === null) fail(w, 'expected an object {class, count}');
      const r = c as Record<string, unknown>;
      if (typeof r.class !== 'string' || r.class === '') fail(w, "'class' must be a non-empty string");
      return { class: r.class, count: posInt(r.count, w, 'count') };
    });
  }
  let motion: MotionClause[] | undefined;
  if (v.motion !== undefined) {
    if (!Array.isArray(v.motion)) fail(where, "'motion' must be an array of motion clauses");
    motion = v.motion.map((c: unknown, i: number) => validateMotion(c, `${where}: motion[${i}]`, include.length));
  }
  return { tag: v.tag as GenevalMetadata['tag'], include, ...(exclude ? { exclude } : {}), ...(motion ? { motion } : {}), prompt: v.prompt };
}

function validateMotion(c: unknown, w: string, nInclude: number): MotionClause {
  if (typeof c !== 'object' || c === null) fail(w, 'expected an object {index, kind, direction?, speed?, color?}');
  const r = c as Record<string, unknown>;
  if (typeof r.index !== 'number' || !Number.isInteger(r.index) || r.index < 0 || r.index >= nInclude) fail(w, `index must name an include clause (0..${nInclude - 1})`);
  if (!(MOTION_KINDS as readonly string[]).includes(r.kind as string)) fail(w, `kind must be one of ${MOTION_KINDS.join(', ')}, got ${JSON.stringify(r.kind)}`);
  const kind = r.kind as MotionClause['kind'];
  if (kind === 'move') {
    if (!(DIRECTIONS as readonly string[]).includes(r.direction as string)) fail(w, `direction must be one of ${DIRECTIONS.join(', ')}`);
    if (!(SPEEDS as readonly string[]).includes(r.speed as string)) fail(w, `speed must be one of ${SPEEDS.join(', ')}`);
    return { index: r.index, kind, direction: r.direction as MotionClause['direction'], speed: r.speed as MotionClause['speed'] };
  }
  if (kind === 'recolor') {
    if (!(COLORS as readonly string[]).includes(r.color as string)) fail(w, `recolor needs a colour, one of ${COLORS.join(', ')}`);
    return { index: r.index, kind, color: r.color as string };
  }
  return { index: r.index, kind };
}

/**
 * Parses GenEval JSONL text. Malformed lines and invalid records name their line.
 * @example parseGeneval('{"tag":"single_object","include":[{"class":"circle","count":1}],"prompt":"a photo of a circle"}\n', 'mem')
 */
export function parseGeneval(text: string, source: string): { records: GenevalMetadata[]; lines: number[] } {
  const records: GenevalMetadata[] = [];
  const lines: number[] = [];
  const raw = text.split('\n');
  for (let i = 0; i < raw.length; i++) {
    if (raw[i]!.trim() === '') continue;
    const [value] = parseJsonl(raw[i]!, `${source}:${i + 1}`);
    records.push(validateMetadata(value, `${source}:${i + 1}`));
    lines.push(i + 1);
  }
  return { records, lines };
}

/**
 * Rewrites a record's classes through a class map (identity for vocabulary classes) and
 * regenerates its prompt from the clauses. An unmapped class is an InputError listing the
 * known classes.
 */
export function mapClasses(m: GenevalMetadata, classMap: ClassMap | undefined, where: string): GenevalMetadata {
  const map = (name: string): Shape => {
    const mapped = classMap?.[name];
    if (mapped !== undefined) return asShape(mapped, `${where}: class map entry for '${name}'`);
    return asShape(name, where);
  };
  const include = m.include.map((c) => ({ ...c, class: map(c.class) }));
  const exclude = m.exclude?.map((c) => ({ ...c, class: map(c.class) }));
  const out: GenevalMetadata = { ...m, include, ...(exclude ? { exclude } : {}) };
  const same = m.include.every((c, i) => c.class === include[i]!.class);
  return same ? out : { ...out, prompt: promptFor(out) };
}

/**
 * Reads a GenEval metadata file, mapping classes into the world's vocabulary.
 * @example readGeneval('prompts.jsonl') // GenevalMetadata[]
 */
export function readGeneval(path: string, opts: { classMap?: ClassMap } = {}): GenevalMetadata[] {
  if (!existsSync(path)) throw new InputError(`${path}: no such metadata file (expected GenEval JSONL)`);
  const { records, lines } = parseGeneval(readFileSync(path, 'utf8'), path);
  return records.map((r, i) => mapClasses(r, opts.classMap, `${path}:${lines[i]}`));
}

/** Writes metadata as GenEval JSONL atomically. */
export function writeGeneval(path: string, records: readonly GenevalMetadata[]): void {
  writeFileAtomic(path, toJsonl(records));
}

/**
 * Reads a class map: a JSON object {"their class": "world shape"}; values must be shapes.
 * @example readClassMap('coco-to-shapes.json')
 */
export function readClassMap(path: string): ClassMap {
  const v = readJson(path);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InputError(`${path}: a class map must be a JSON object {"class": "shape"}`);
  const out: Record<string, Shape> = {};
  for (const [k, s] of Object.entries(v as Record<string, unknown>)) out[k] = asShape(String(s), `${path}: entry '${k}'`);
  return out;
}

/**
 * A class map that spreads `names` over the shapes in order (name i -> shape i mod 8); a
 * convenient default for mapping a whole benchmark (e.g. GenEval's 80 COCO classes).
 * @example roundRobinClassMap(['person', 'bicycle']) // { person: 'circle', bicycle: 'square' }
 */
export function roundRobinClassMap(names: readonly string[]): ClassMap {
  const out: Record<string, Shape> = {};
  names.forEach((n, i) => (out[n] = SHAPES[i % SHAPES.length]!));
  return out;
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

/** The noun phrase for one include clause ("a red circle", "two stars"). */
export function clausePhrase(c: Pick<IncludeClause, 'class' | 'count' | 'color'>): string {
  const noun = c.count === 1 ? c.class : (SHAPE_PLURALS[c.class as Shape] ?? `${c.class}s`);
  const body = c.color ? `${c.color} ${noun}` : noun;
  if (c.count === 1) return `${article(body)} ${body}`;
  return `${NUMBER_WORDS[c.count] ?? String(c.count)} ${body}`;
}

/**
 * GenEval's prompt text for a record: "a photo of" and the clauses joined by "and", with a
 * positioned clause written as "<it> <relation> <its reference>".
 * @example promptFor({ tag: 'counting', include: [{ class: 'star', count: 2 }], prompt: '' }) // 'a photo of two stars'
 */
export function promptFor(m: Pick<GenevalMetadata, 'include'>): string {
  const referenced = new Set(m.include.flatMap((c) => (c.position ? [c.position[1]] : [])));
  const parts = m.include.flatMap((c, i) => {
    if (c.position) return [`${clausePhrase(c)} ${c.position[0]} ${clausePhrase(m.include[c.position[1]]!)}`];
    return referenced.has(i) ? [] : [clausePhrase(c)];
  });
  return `a photo of ${parts.join(' and ')}`;
}
