/**
 * The world's oracle as a pointwise RewardModel. It reads the candidate image with no access
 * to its scene and judges it against the prompt's GenEval metadata (`query.metadata`, or the
 * prompt text parsed with the world's grammar when no metadata comes). The reward is graded
 * so that it is informative for RL: the share of satisfied clauses, with the full score only
 * when the whole record is correct (GenEval's binary verdict); `binary` mode gives 0 or 1.
 * Videos are scored on their last frame.
 */
import { mediaFrames } from '../data/image.js';
import { InputError } from '../errors.js';
import { analyzeImage, scoreMetadata } from '../world/oracle.js';
import { RELATIONS, type GenevalMetadata, type GenevalTag, type IncludeClause } from '../world/types.js';
import { COLORS, NUMBER_WORDS, SHAPES, SHAPE_PLURALS } from '../world/vocab.js';
import type { RewardModel, RewardQuery, RewardResult } from './types.js';

/** How the oracle turns a verdict into a reward. */
export type OracleGrading = 'graded' | 'binary';

export interface OracleRewardOptions {
  readonly grading?: OracleGrading;
}

/** Rewards are kept inside [EPS, 1 - EPS] so that the logits stay finite (reward = sigmoid(logit)). */
const EPS = 1e-4;

const PREFIX = 'a photo of ';
const SHAPE_BY_WORD = new Map<string, { shape: string; plural: boolean }>([
  ...SHAPES.map((s) => [s, { shape: s, plural: false }] as const),
  ...SHAPES.map((s) => [SHAPE_PLURALS[s], { shape: s, plural: true }] as const),
]);
const COUNT_BY_WORD = new Map(Object.entries(NUMBER_WORDS).map(([n, w]) => [w, Number(n)]));

function parsePhrase(words: string[], prompt: string): IncludeClause {
  const [head, ...rest] = words;
  const count = head === 'a' || head === 'an' ? 1 : COUNT_BY_WORD.get(head ?? '');
  if (count === undefined) throw new InputError(`oracle: '${prompt}' is not a world prompt (cannot read a count from '${words.join(' ')}'; expected e.g. 'a photo of two red stars'); pass the GenEval metadata with the query`);
  const color = rest.length === 2 ? rest[0] : undefined;
  if (color !== undefined && !(COLORS as readonly string[]).includes(color)) throw new InputError(`oracle: unknown colour '${color}' in '${prompt}'`);
  const noun = SHAPE_BY_WORD.get(rest.at(-1) ?? '');
  if (!noun || rest.length < 1 || rest.length > 2 || noun.plural !== count > 1) throw new InputError(`oracle: '${prompt}' is not a world prompt (cannot read a shape from '${words.join(' ')}'); pass the GenEval metadata with the query`);
  return { class: noun.shape, count, ...(color ? { color } : {}) };
}

/**
 * GenEval metadata from a world prompt ('[a photo of] <phrase> [and <phrase> | <rel> <phrase>]').
 * @example parseWorldPrompt('a photo of a red circle left of a blue star').tag // 'position'
 */
export function parseWorldPrompt(prompt: string): GenevalMetadata {
  const p = prompt.trim().toLowerCase().replace(/\s+/g, ' ');
  const body = p.startsWith(PREFIX) ? p.slice(PREFIX.length) : p;
  let include: IncludeClause[];
  const rel = RELATIONS.find((r) => body.includes(` ${r} `));
  if (rel) {
    const [a, b] = body.split(` ${rel} `) as [string, string];
    include = [parsePhrase(b.split(' '), prompt), { ...parsePhrase(a.split(' '), prompt), position: [rel, 0] as const }];
  } else {
    include = body.split(' and ').map((part) => parsePhrase(part.split(' '), prompt));
  }
  if (include.length > 2) throw new InputError(`oracle: '${prompt}' names more than two objects`);
  let tag: GenevalTag;
  let exclude: GenevalMetadata['exclude'];
  if (include.length === 1) {
    const c = include[0]!;
    tag = c.count > 1 ? 'counting' : c.color ? 'colors' : 'single_object';
    if (c.count > 1) exclude = [{ class: c.class, count: c.count + 1 }];
  } else {
    tag = rel ? 'position' : include.some((c) => c.color) ? 'color_attr' : 'two_object';
  }
  return { tag, include, ...(exclude ? { exclude } : {}), prompt };
}

/** The reward for a verdict: satisfied clauses plus one for the whole record, over clauses + 1. */
export function gradedReward(clausesOk: number, clauses: number, correct: boolean, grading: OracleGrading = 'graded'): number {
  if (grading === 'binary') return correct ? 1 : 0;
  return (clausesOk + (correct ? 1 : 0)) / (clauses + 1);
}

function result(r: number, ms: number): RewardResult {
  const p = Math.min(1 - EPS, Math.max(EPS, r));
  const logit = Math.log(p / (1 - p));
  return { reward: 1 / (1 + Math.exp(-logit)), pYesVocab: p, logitYes: logit / 2, logitNo: -logit / 2, ms };
}

/**
 * The oracle reward model (pointwise; references are ignored).
 * @example const rm = createOracleRewardModel(); const [r] = await rm.score([{ task: 't2i', prompt, candidate, metadata }]);
 */
export function createOracleRewardModel(opts: OracleRewardOptions = {}): RewardModel {
  const grading = opts.grading ?? 'graded';
  return {
    id: grading === 'binary' ? 'oracle-binary' : 'oracle',
    mode: 'pointwise',
    score(queries: readonly RewardQuery[]): Promise<RewardResult[]> {
      const t0 = performance.now();
      try {
        const verdicts = queries.map((q) => {
          const meta = q.metadata ?? parseWorldPrompt(q.prompt);
          const frames = mediaFrames(q.candidate);
          const s = scoreMetadata(analyzeImage(frames[frames.length - 1]!), meta);
          return gradedReward(s.clauses.filter((c) => c.ok).length, s.clauses.length, s.correct, grading);
        });
        const ms = (performance.now() - t0) / Math.max(1, queries.length);
        return Promise.resolve(verdicts.map((v) => result(v, ms)));
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    },
  };
}
