/**
 * The reward protocol (DESIGN.md section 4): what a reward query holds and what every reward
 * model returns. Local generative VLMs, Bradley-Terry heads, remote OpenAI-compatible VLMs
 * and the world's oracle all implement `RewardModel`.
 */
import type { Media, RgbImage } from '../data/image.js';
import type { Task } from '../data/manifest.js';
import type { GenevalMetadata } from '../world/types.js';

/** Chain-of-thought modes: none, answer then rationale, rationale then answer. */
export const COT_MODES = ['off', 'decision-first', 'reason-first'] as const;
export type CotMode = (typeof COT_MODES)[number];

/** An in-context example: a solved pair shown before the query. */
export interface RewardExample {
  readonly prompt: string;
  readonly reference?: Media;
  readonly candidate: Media;
  /** The example's answer: true for "yes". */
  readonly answer: boolean;
  readonly rationale?: string;
}

/** One thing to score. */
export interface RewardQuery {
  readonly task: Task;
  readonly prompt: string;
  readonly candidate: Media;
  /** Pairwise: is the candidate better than this reference? */
  readonly reference?: Media;
  /** i2v: the first-frame condition. */
  readonly condition?: RgbImage;
  /** alignment | quality | motion | consistency, or free text for remote models. */
  readonly criteria?: string;
  readonly examples?: readonly RewardExample[];
  readonly cot?: CotMode;
  /** The prompt's GenEval metadata, when known (the oracle needs it; VLMs ignore it). */
  readonly metadata?: GenevalMetadata;
}

/** A reward for one query. */
export interface RewardResult {
  /** P(yes) normalised over {yes, no}: the reward. In [0, 1]. */
  readonly reward: number;
  /** P(yes) over the whole vocabulary. */
  readonly pYesVocab: number;
  readonly logitYes: number;
  readonly logitNo: number;
  readonly rationale?: string;
  /** Milliseconds spent on this query's batch, divided by the batch size. */
  readonly ms: number;
}

/** One query's outcome in a batch that keeps going past failures. */
export type RewardOutcome = { readonly ok: true; readonly result: RewardResult } | { readonly ok: false; readonly error: Error };

/** How a model reads queries. */
export type RewardMode = 'pairwise' | 'pointwise';

/** Anything that scores reward queries. */
export interface RewardModel {
  /** Identifier (checkpoint folder name, remote model id, 'oracle'). */
  readonly id: string;
  /** Pairwise models need `reference`; pointwise models ignore it. */
  readonly mode: RewardMode;
  /** Scores a batch; results are in query order. The first failing query rejects the batch. */
  score(queries: readonly RewardQuery[]): Promise<RewardResult[]>;
  /**
   * Optional: scores a batch and reports failures per query instead of rejecting (models
   * whose queries fail independently, like remote ones, implement it). Callers use
   * `scoreSettled` from settle.ts, which falls back to one-by-one `score` calls.
   */
  scoreSettled?(queries: readonly RewardQuery[]): Promise<RewardOutcome[]>;
  /** Releases tensors, sockets, workers. */
  close?(): Promise<void> | void;
}
