/**
 * Column mapping for preference imports: the logical fields rewarddance needs, the column
 * names it tries by default (Hugging Face, Pick-a-Pic and ImageReward spellings), the
 * `--columns field=column,...` option, and how the layout (pairwise, label, ranking) follows
 * from which fields are present.
 */
import { ConfigError, InputError } from '../../errors.js';

/** Logical fields an import reads, with the column names tried when `--columns` does not map them. */
export const FIELD_DEFAULTS = {
  id: ['id', 'pair_id', 'ranking_id'],
  prompt: ['prompt', 'caption', 'text'],
  criteria: ['criteria', 'criterion'],
  task: ['task'],
  rationale: ['rationale', 'reason', 'explanation'],
  split: ['split'],
  tag: ['tag'],
  condition: ['condition', 'condition_image'],
  // pairwise layout: preferred and dispreferred media
  chosen: ['chosen', 'chosen_image', 'image_chosen', 'image_win', 'win'],
  rejected: ['rejected', 'rejected_image', 'image_rejected', 'image_lose', 'lose'],
  tie: ['tie', 'is_tie'],
  // label layout (Pick-a-Pic): two media and the probability that the first is preferred
  image0: ['jpg_0', 'image_0', 'image0', 'image_a'],
  image1: ['jpg_1', 'image_1', 'image1', 'image_b'],
  label: ['label_0', 'label', 'preference'],
  // ranking layout (ImageReward): a list of media with ranks per row, or one media per row
  // with a rank and a group column that gathers the rows of one prompt
  images: ['images', 'generations', 'image_list'],
  ranks: ['ranking', 'ranks', 'rank'],
  image: ['image', 'img', 'image_path'],
  group: ['prompt_id', 'group', 'group_id'],
} as const satisfies Record<string, readonly string[]>;

export type Field = keyof typeof FIELD_DEFAULTS;
export const FIELDS = Object.keys(FIELD_DEFAULTS) as Field[];

/** How rows turn into pairs. */
export const LAYOUTS = ['pairwise', 'label', 'ranking'] as const;
export type Layout = (typeof LAYOUTS)[number];

/** A resolved mapping: logical field -> column name present in the source. */
export type ColumnMap = Partial<Record<Field, string>>;

/**
 * Parses `--columns prompt=caption,chosen=img_w`. Unknown fields and malformed entries are
 * ConfigErrors listing the fields.
 * @example parseColumnSpec('prompt=caption,chosen=img_w') // { prompt: 'caption', chosen: 'img_w' }
 */
export function parseColumnSpec(spec: string | undefined): ColumnMap {
  const out: ColumnMap = {};
  if (spec === undefined || spec.trim() === '') return out;
  for (const entry of spec.split(',')) {
    const eq = entry.indexOf('=');
    const field = entry.slice(0, eq).trim();
    const column = entry.slice(eq + 1).trim();
    if (eq < 0 || field === '' || column === '') throw new ConfigError(`--columns: expected 'field=column' entries separated by commas, got '${entry}'`);
    if (!(FIELDS as string[]).includes(field)) throw new ConfigError(`--columns: unknown field '${field}'; fields are ${FIELDS.join(', ')}`);
    out[field as Field] = column;
  }
  return out;
}

/** Fields each layout cannot do without. */
const REQUIRED: Readonly<Record<Layout, readonly (readonly Field[])[]>> = {
  pairwise: [['prompt'], ['chosen'], ['rejected']],
  label: [['prompt'], ['image0'], ['image1'], ['label']],
  // either a list column of media, or one media per row gathered by a group column
  ranking: [['prompt'], ['ranks'], ['images', 'image']],
};

/**
 * Resolves the mapping against the source's columns: mapped columns must exist (an unknown
 * column is an InputError naming the columns there are), unmapped fields take the first
 * default name present. Picks the layout when not given.
 * @example resolveColumns(['caption', 'jpg_0', 'jpg_1', 'label_0'], {}, undefined, 'x.parquet').layout // 'label'
 */
export function resolveColumns(available: readonly string[], spec: ColumnMap, layout: Layout | undefined, source: string): { map: ColumnMap; layout: Layout } {
  const have = new Set(available);
  const map: ColumnMap = {};
  for (const f of FIELDS) {
    const mapped = spec[f];
    if (mapped !== undefined) {
      if (!have.has(mapped)) throw new InputError(`${source}: --columns maps ${f} to '${mapped}', but there is no such column; columns are: ${available.join(', ')}`);
      map[f] = mapped;
    } else {
      const found = FIELD_DEFAULTS[f].find((c) => have.has(c));
      if (found !== undefined) map[f] = found;
    }
  }
  const satisfied = (l: Layout): boolean => REQUIRED[l].every((alts) => alts.some((f) => map[f] !== undefined));
  const chosen = layout ?? LAYOUTS.find(satisfied);
  if (chosen === undefined) {
    throw new InputError(
      `${source}: cannot tell the layout from the columns (${available.join(', ')}); expected prompt+chosen+rejected (pairwise), prompt+image0+image1+label (label) or prompt+ranks+images|image (ranking); map yours with --columns, e.g. --columns prompt=caption,chosen=img_w,rejected=img_l`,
    );
  }
  const missing = REQUIRED[chosen].filter((alts) => !alts.some((f) => map[f] !== undefined)).map((alts) => alts.join('|'));
  if (missing.length > 0) throw new InputError(`${source}: the ${chosen} layout needs columns for ${missing.join(', ')}; columns are: ${available.join(', ')}; map them with --columns field=column`);
  if (chosen === 'ranking' && map.images === undefined && map.group === undefined) {
    throw new InputError(`${source}: a ranking with one image per row needs a group column (prompt_id) that gathers the rows of one prompt; map it with --columns group=COLUMN`);
  }
  return { map, layout: chosen };
}
