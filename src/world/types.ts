/**
 * GenEval's prompt metadata format (one JSON object a line), shared by the world, datasets,
 * evaluation and RL. See ../shared/benchmarks/geneval/SOURCE.md for the original.
 */

/** GenEval's six prompt tags. */
export const GENEVAL_TAGS = ['single_object', 'two_object', 'counting', 'colors', 'position', 'color_attr'] as const;
export type GenevalTag = (typeof GENEVAL_TAGS)[number];

/** Spatial relations as GenEval writes them. */
export const RELATIONS = ['left of', 'right of', 'above', 'below'] as const;
export type Relation = (typeof RELATIONS)[number];

/** One `include` clause: exactly `count` objects of `class` (with `color`, at `position`). */
export interface IncludeClause {
  readonly class: string;
  readonly count: number;
  readonly color?: string;
  /** [relation, index of the include clause it is relative to] */
  readonly position?: readonly [Relation, number];
}

/** One `exclude` clause: fewer than `count` objects of `class`. */
export interface ExcludeClause {
  readonly class: string;
  readonly count: number;
}

/** A GenEval metadata record. */
export interface GenevalMetadata {
  readonly tag: GenevalTag;
  readonly include: readonly IncludeClause[];
  readonly exclude?: readonly ExcludeClause[];
  /** Video prompts only (rewarddance extension): motion of the included objects. */
  readonly motion?: readonly MotionClause[];
  readonly prompt: string;
}

/** Motion kinds for video prompts: move in a direction, stay still, appear, change colour. */
export const MOTION_KINDS = ['move', 'stay', 'appear', 'recolor'] as const;
export type MotionKind = (typeof MOTION_KINDS)[number];
export const DIRECTIONS = ['left', 'right', 'up', 'down'] as const;
export type Direction = (typeof DIRECTIONS)[number];
export const SPEEDS = ['slowly', 'quickly'] as const;
export type Speed = (typeof SPEEDS)[number];

/**
 * rewarddance's extension for video prompts (not in GenEval): what the object of include
 * clause `index` does over the frames.
 */
export interface MotionClause {
  readonly index: number;
  readonly kind: MotionKind;
  readonly direction?: Direction;
  readonly speed?: Speed;
  /** Target colour for `recolor`. */
  readonly color?: string;
}
