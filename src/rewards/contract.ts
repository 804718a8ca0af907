/**
 * The shared contract suite (DESIGN.md 5.6): one set of vitest tests that every RewardModel
 * implementation must pass: shape, range, determinism, batching equals one-by-one, and swap
 * behaviour. Call `rewardModelContract` from a test file; it registers a `describe` block.
 * Test-only: import it from *.test.ts files, never from library code (it imports vitest).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blankImage, imageMedia, videoMedia, type Media, type RgbImage } from '../data/image.js';
import { Rng } from '../util/rng.js';
import { sigmoid } from './logprobs.js';
import type { RewardModel, RewardQuery, RewardResult } from './types.js';

export interface ContractOptions {
  /** Name shown in the test report, e.g. 'remote (replay server)'. */
  readonly name: string;
  /** Makes the model under test (called once; `close` is called after the suite). */
  readonly create: () => RewardModel | Promise<RewardModel>;
  /** Queries to score (at least 3); default `contractQueries(model.mode)`. */
  readonly queries?: (mode: RewardModel['mode']) => RewardQuery[];
  /** Largest |difference| allowed between batched and one-by-one results. Default 1e-5. */
  readonly batchTolerance?: number;
  /** Largest |difference| between two runs of the same batch. Default 0 (bit-equal). */
  readonly repeatTolerance?: number;
  /**
   * Pairwise models: when set, p(a over b) + p(b over a) must be 1 within this tolerance
   * (models that compare scores, like a BT head or the oracle, or a symmetric judge). Leave
   * unset for generative models, which have position bias: the suite then checks only that
   * swapped queries score and stay in range.
   */
  readonly swapSymmetryTolerance?: number;
  /** Per-test timeout in ms (default vitest's). */
  readonly timeoutMs?: number;
}

/** Relation the protocol fixes between reward and logits: reward = sigmoid(logitYes - logitNo). */
const LOGIT_TOLERANCE = 1e-6;

/** A small solid-colour image with a seeded pattern, so different seeds give different media. */
export function contractImage(seed: number, size = 8): RgbImage {
  const rng = new Rng(seed);
  const img = blankImage(size, size, [rng.int(0, 256), rng.int(0, 256), rng.int(0, 256)]);
  for (let i = 0; i < size; i++) img.data[rng.int(0, img.data.length)] = rng.int(0, 256);
  return img;
}

/**
 * The default contract queries: four text-to-image queries with different candidates (the
 * same reference in pairwise mode) and one two-frame video query.
 * @example contractQueries('pairwise').length // 5
 */
export function contractQueries(mode: RewardModel['mode']): RewardQuery[] {
  const reference = imageMedia(contractImage(100));
  const prompts = ['a red circle', 'two blue squares', 'a green triangle left of a yellow star', 'three purple circles'];
  const qs: RewardQuery[] = prompts.map((prompt, i) => ({
    task: 't2i',
    prompt,
    candidate: imageMedia(contractImage(i + 1)),
    criteria: 'alignment',
    ...(mode === 'pairwise' ? { reference } : {}),
  }));
  const video = (seed: number): Media => videoMedia([contractImage(seed), contractImage(seed + 1)]);
  qs.push({ task: 't2v', prompt: 'a red circle moving right', candidate: video(10), criteria: 'motion', ...(mode === 'pairwise' ? { reference: video(20) } : {}) });
  return qs;
}

function expectValid(r: RewardResult | undefined, what: string): void {
  expect(r, what).toBeDefined();
  const x = r!;
  for (const k of ['reward', 'pYesVocab', 'logitYes', 'logitNo', 'ms'] as const) expect(Number.isFinite(x[k]), `${what}: ${k} is finite`).toBe(true);
  expect(x.reward, `${what}: reward in [0, 1]`).toBeGreaterThanOrEqual(0);
  expect(x.reward, `${what}: reward in [0, 1]`).toBeLessThanOrEqual(1);
  expect(x.pYesVocab, `${what}: pYesVocab in [0, 1]`).toBeGreaterThanOrEqual(0);
  expect(x.pYesVocab, `${what}: pYesVocab in [0, 1]`).toBeLessThanOrEqual(1);
  expect(x.ms, `${what}: ms >= 0`).toBeGreaterThanOrEqual(0);
  expect(Math.abs(x.reward - sigmoid(x.logitYes - x.logitNo)), `${what}: reward = sigmoid(logitYes - logitNo)`).toBeLessThanOrEqual(LOGIT_TOLERANCE);
  if (x.rationale !== undefined) expect(typeof x.rationale).toBe('string');
}

function maxRewardDiff(a: readonly RewardResult[], b: readonly RewardResult[]): number {
  let m = 0;
  a.forEach((r, i) => {
    const s = b[i]!;
    m = Math.max(m, Math.abs(r.reward - s.reward), Math.abs(r.pYesVocab - s.pYesVocab));
  });
  return m;
}

/** Swaps candidate and reference (pairwise queries only). */
function swapped(q: RewardQuery): RewardQuery {
  return { ...q, candidate: q.reference!, reference: q.candidate };
}

/**
 * Registers the contract tests for a model.
 * @example
 * // src/rewards/generative.test.ts
 * rewardModelContract({ name: 'generative VLM', create: () => loadGenerative(dir), batchTolerance: 1e-5 });
 */
export function rewardModelContract(opts: ContractOptions): void {
  const batchTol = opts.batchTolerance ?? 1e-5;
  const repeatTol = opts.repeatTolerance ?? 0;
  describe(`RewardModel contract: ${opts.name}`, () => {
    let model: RewardModel;
    let queries: RewardQuery[];
    beforeAll(async () => {
      model = await opts.create();
      queries = opts.queries ? opts.queries(model.mode) : contractQueries(model.mode);
      if (queries.length < 3) throw new Error('contract: give at least 3 queries');
    }, opts.timeoutMs);
    afterAll(async () => {
      await model?.close?.();
    });

    it('has an id and a mode', () => {
      expect(typeof model.id).toBe('string');
      expect(model.id.length).toBeGreaterThan(0);
      expect(['pairwise', 'pointwise']).toContain(model.mode);
    });

    it('scores an empty batch as []', async () => {
      expect(await model.score([])).toEqual([]);
    });

    it('returns one result per query, in range, with reward = sigmoid(logitYes - logitNo)', async () => {
      const rs = await model.score(queries);
      expect(rs).toHaveLength(queries.length);
      rs.forEach((r, i) => expectValid(r, `query ${i}`));
    }, opts.timeoutMs);

    it('is deterministic: the same batch twice gives the same rewards', async () => {
      const a = await model.score(queries);
      const b = await model.score(queries);
      expect(maxRewardDiff(a, b)).toBeLessThanOrEqual(repeatTol);
    }, opts.timeoutMs);

    it('batching equals one-by-one', async () => {
      const batch = await model.score(queries);
      const single: RewardResult[] = [];
      for (const q of queries) single.push(...(await model.score([q])));
      expect(maxRewardDiff(batch, single)).toBeLessThanOrEqual(batchTol);
      const reversed = await model.score([...queries].reverse());
      expect(maxRewardDiff(batch, reversed.reverse())).toBeLessThanOrEqual(batchTol);
    }, opts.timeoutMs);

    it('swap behaviour', async () => {
      const base = await model.score(queries);
      if (model.mode === 'pointwise') {
        // Pointwise models ignore the reference: adding or changing one changes nothing.
        const other = imageMedia(contractImage(999));
        const withRef = await model.score(queries.map((q) => ({ ...q, reference: other })));
        expect(maxRewardDiff(base, withRef)).toBeLessThanOrEqual(batchTol);
        return;
      }
      const sw = await model.score(queries.map(swapped));
      sw.forEach((r, i) => expectValid(r, `swapped query ${i}`));
      if (opts.swapSymmetryTolerance !== undefined) {
        base.forEach((r, i) => expect(Math.abs(r.reward + sw[i]!.reward - 1), `query ${i}: p(a,b) + p(b,a) = 1`).toBeLessThanOrEqual(opts.swapSymmetryTolerance!));
      }
      // Candidate and reference identical: a symmetric model must answer 0.5.
      if (opts.swapSymmetryTolerance !== undefined) {
        const same = await model.score(queries.map((q) => ({ ...q, reference: q.candidate })));
        same.forEach((r, i) => expect(Math.abs(r.reward - 0.5), `query ${i}: candidate vs itself`).toBeLessThanOrEqual(opts.swapSymmetryTolerance!));
      }
    }, opts.timeoutMs);

    it('rejects a pairwise query without a reference (naming it), or scores a pointwise one', async () => {
      // the first contract query without its reference, so models with fixed input sizes get their size
      const { reference: _dropped, ...q } = (opts.queries ?? contractQueries)(model.mode)[0]!;
      if (model.mode === 'pairwise') await expect(model.score([q])).rejects.toThrow(/reference/i);
      else expectValid((await model.score([q]))[0], 'pointwise query');
    }, opts.timeoutMs);
  });
}
