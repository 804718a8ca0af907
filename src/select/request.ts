/**
 * What selection works on: one prompt and N candidate media, plus the query fields they
 * share (criteria, CoT, examples, i2v condition, an optional fixed reference).
 */
import { InputError } from '../errors.js';
import type { Media, RgbImage } from '../data/image.js';
import type { Task } from '../data/manifest.js';
import type { CotMode, RewardExample, RewardQuery } from '../rewards/types.js';
import type { GenevalMetadata } from '../world/types.js';

export interface SelectionRequest {
  readonly task: Task;
  readonly prompt: string;
  readonly candidates: readonly Media[];
  /** A fixed reference for pointwise Best-of-N with a pairwise model. */
  readonly reference?: Media;
  readonly condition?: RgbImage;
  readonly criteria?: string;
  readonly cot?: CotMode;
  readonly examples?: readonly RewardExample[];
  readonly metadata?: GenevalMetadata;
}

/** One candidate's place in a ranking. */
export interface RankedCandidate {
  /** Index into `candidates`. */
  readonly index: number;
  /** The ranking score: reward (pointwise), Bradley-Terry strength (round robin), round reached (knockout). */
  readonly score: number;
}

/** A query for `candidate` (against `reference` when given), sharing the request's fields. */
export function queryFor(req: SelectionRequest, candidate: Media, reference?: Media): RewardQuery {
  const q: { -readonly [K in keyof RewardQuery]: RewardQuery[K] } = { task: req.task, prompt: req.prompt, candidate };
  if (reference) q.reference = reference;
  if (req.condition) q.condition = req.condition;
  if (req.criteria !== undefined) q.criteria = req.criteria;
  if (req.cot !== undefined) q.cot = req.cot;
  if (req.examples) q.examples = req.examples;
  if (req.metadata) q.metadata = req.metadata;
  return q;
}

/** Checks there is something to select from. */
export function checkCandidates(req: SelectionRequest, min = 1): void {
  if (req.candidates.length < min) throw new InputError(`selection needs at least ${min} candidate${min === 1 ? '' : 's'}, got ${req.candidates.length}`);
}
