/**
 * FrozenVlmReward: equals the non-differentiable scorer's reward (pairwise, pointwise,
 * decision-first, Bradley-Terry), sends gradients to the candidate's pixels that match finite
 * differences, leaves the VLM's parameters without gradients and with their flags as they were;
 * the both-orders pairwise reward is the mean of the two orders the scorer gives.
 */
import { describe, expect, test } from 'vitest';
import { imageMedia, type RgbImage } from '../../data/image.js';
import { SPECIAL_TOKENS } from '../../data/tokenizer.js';
import { ConfigError, InputError, ShapeError } from '../../errors.js';
import { vlmConfig } from '../../models/vlm/config.js';
import { TinyVlm } from '../../models/vlm/model.js';
import { DEFAULT_CONTEXT, type ContextOptions } from '../../models/vlm/prompting.js';
import type { Paradigm } from '../../models/vlm/scorer.js';
import { imagesToTensor } from '../../models/vlm/sequence.js';
import { manualSeed, noGrad, randn, tensor, tidy, type Tensor } from '../../tensor/index.js';
import { defaultVocabulary } from '../reward/pretrain-data.js';
import { Rng } from '../../util/rng.js';
import { CombinedReward } from './combined.js';
import { FrozenVlmReward } from './vlm-reward.js';

const VOCAB = [...SPECIAL_TOKENS, ...defaultVocabulary()];
const TINY = { dim: 32, layers: 2, heads: 2, stemChannels: 8, vocab: VOCAB };
const PROMPTS = ['a photo of a red circle', 'a photo of two blue stars', 'a photo of a green square to the left of a yellow triangle', 'a photo of a moon'];

/** A random flat colour with every pixel jittered (images that differ as wholes, not only in noise). */
function noiseImage(seed: number): RgbImage {
  const rng = new Rng(seed);
  const rgb = [rng.int(0, 256), rng.int(0, 256), rng.int(0, 256)];
  const data = new Uint8Array(32 * 32 * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, rgb[i % 3]! + rng.int(-40, 41)));
  return { width: 32, height: 32, data };
}

/** A random tiny VLM whose parameters are scaled up so that rewards spread over (0, 1) instead of sitting at 0.5. */
function model(seed: number, scalarHead = false): TinyVlm {
  manualSeed(seed);
  const m = new TinyVlm(vlmConfig({ ...TINY, scalarHead }));
  noGrad(() => {
    for (const p of m.parameters()) tidy(() => p.copyFrom(p.add(randn(p.shape).mul(0.15))));
    tidy(() => m.head.weight.copyFrom(randn(m.head.weight.shape))); // logits of order 1-10
  });
  return m;
}

function rewardOf(paradigm: Paradigm, context: ContextOptions, seed: number): FrozenVlmReward {
  return new FrozenVlmReward(`tiny-${paradigm}`, model(seed, paradigm === 'bt'), paradigm, context);
}

const POINTWISE: ContextOptions = { ...DEFAULT_CONTEXT, reference: false };
const cands = PROMPTS.map((_, i) => noiseImage(10 + i));
const refs = PROMPTS.map((_, i) => noiseImage(50 + i));

describe('FrozenVlmReward', () => {
  const cases: [string, Paradigm, ContextOptions][] = [
    ['pairwise', 'pairwise', DEFAULT_CONTEXT],
    ['pairwise, decision-first', 'pairwise', { ...DEFAULT_CONTEXT, cot: 'decision-first' }],
    ['pointwise', 'pointwise', POINTWISE],
    ['Bradley-Terry head', 'bt', POINTWISE],
  ];
  test.each(cases)('%s: equals the scorer within 1e-5; no gradient reaches the VLM', (_, paradigm, context) => {
    const rm = rewardOf(paradigm, context, 3);
    const pairwise = paradigm === 'pairwise';
    const expected = rm.scorer.score(PROMPTS.map((prompt, i) => ({ task: 't2i', prompt, criteria: 'alignment', candidate: imageMedia(cands[i]!), reference: pairwise ? imageMedia(refs[i]!) : undefined }))).map((s) => s.reward);
    // the test means something only if the rewards differ across samples
    expect(Math.max(...expected) - Math.min(...expected)).toBeGreaterThan(0.05);
    rm.model.train(); // the reward must evaluate in eval mode and put the mode back
    tidy(() => {
      const x = imagesToTensor(cands, 32).requiresGrad_();
      const r = rm.rewardTensor(x, PROMPTS, pairwise ? imagesToTensor(refs, 32) : undefined);
      expect(r.shape).toEqual([PROMPTS.length]);
      r.toList().forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThan(1e-5));
      r.sum().backward();
      expect(x.grad!.abs().sum().item()).toBeGreaterThan(0);
    });
    expect(rm.model.training).toBe(true);
    for (const p of rm.model.parameters()) {
      expect(p.requiresGrad).toBe(true);
      expect(p.grad === null || p.grad.abs().sum().item() === 0).toBe(true);
    }
    rm.dispose();
  });

  test('the pixel gradient matches central finite differences', () => {
    const rm = rewardOf('pairwise', DEFAULT_CONTEXT, 4);
    const base = imagesToTensor(cands.slice(0, 2), 32);
    const ref = imagesToTensor(refs.slice(0, 2), 32);
    const prompts = PROMPTS.slice(0, 2);
    const weights = [1, -0.7];
    const f = (x: Tensor): Tensor => {
      const r = rm.rewardTensor(x, prompts, ref);
      return r.select(0, 0).mul(weights[0]!).add(r.select(0, 1).mul(weights[1]!));
    };
    tidy(() => {
      const x = base.clone().requiresGrad_();
      f(x).backward();
      const g = x.grad!.toArray();
      // the pixels with the largest gradients, one at a time
      const order = Array.from(g.keys()).sort((a, b) => Math.abs(g[b]!) - Math.abs(g[a]!)).slice(0, 6);
      const values = base.toArray();
      const eps = 1e-2;
      const probe = (idx: number, d: number): number =>
        noGrad(() =>
          tidy(() => {
            const v = Float32Array.from(values);
            v[idx] = v[idx]! + d;
            return f(tensor(v, base.shape)).item();
          }),
        );
      for (const idx of order) {
        const numeric = (probe(idx, eps) - probe(idx, -eps)) / (2 * eps);
        expect(Math.abs(numeric - g[idx]!)).toBeLessThan(0.05 * Math.abs(g[idx]!) + 1e-5);
      }
      // a random direction over every pixel
      const dir = randn(base.shape);
      const analytic = x.grad!.mul(dir).sum().item();
      const along = (t: number): number => noGrad(() => tidy(() => f(base.add(dir.mul(t))).item()));
      const h = 1e-3;
      const numeric = (along(h) - along(-h)) / (2 * h);
      expect(Math.abs(numeric - analytic)).toBeLessThan(0.02 * Math.abs(analytic) + 1e-4);
    });
    rm.dispose();
  });

  test("orders 'both': (p(ref, cand) + 1 - p(cand, ref)) / 2 from the scorer, with a gradient to the candidate", () => {
    const m = model(6);
    const rm = new FrozenVlmReward('tiny-both', m, 'pairwise', DEFAULT_CONTEXT, { orders: 'both' });
    const ask = (cand: readonly RgbImage[], ref: readonly RgbImage[]): number[] =>
      rm.scorer.score(PROMPTS.map((prompt, i) => ({ task: 't2i', prompt, criteria: 'alignment', candidate: imageMedia(cand[i]!), reference: imageMedia(ref[i]!) }))).map((s) => s.reward);
    const forward = ask(cands, refs);
    const swapped = ask(refs, cands);
    const expected = forward.map((p, i) => (p + 1 - swapped[i]!) / 2);
    // the orders must disagree somewhere, or the mean would equal either one
    expect(Math.max(...forward.map((p, i) => Math.abs(p - (1 - swapped[i]!))))).toBeGreaterThan(0.02);
    tidy(() => {
      const x = imagesToTensor(cands, 32).requiresGrad_();
      const r = rm.rewardTensor(x, PROMPTS, imagesToTensor(refs, 32));
      expect(r.shape).toEqual([PROMPTS.length]);
      r.toList().forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThan(1e-5));
      r.sum().backward();
      expect(x.grad!.abs().sum().item()).toBeGreaterThan(0);
    });
    for (const p of m.parameters()) expect(p.grad === null || p.grad.abs().sum().item() === 0).toBe(true);
    expect(() => new FrozenVlmReward('pw', m, 'pointwise', POINTWISE, { orders: 'both' })).toThrow(ConfigError);
    rm.dispose();
  });

  test('bad inputs are clear errors', () => {
    const rm = rewardOf('pairwise', DEFAULT_CONTEXT, 5);
    tidy(() => {
      const x = imagesToTensor(cands.slice(0, 2), 32);
      expect(() => rm.rewardTensor(x, PROMPTS.slice(0, 2))).toThrow(/pairwise .* reference/);
      expect(() => rm.rewardTensor(x, PROMPTS.slice(0, 3), x)).toThrow(InputError);
      expect(() => rm.rewardTensor(x.slice(3, 0, 16), PROMPTS.slice(0, 2), x)).toThrow(ShapeError);
    });
    expect(() => new FrozenVlmReward('rf', rm.model, 'pairwise', { ...DEFAULT_CONTEXT, cot: 'reason-first' })).toThrow(/reason-first .* not differentiable/);
    rm.dispose();
  });
});

describe('CombinedReward', () => {
  test('the weighted mean of its parts, with the weighted sum of their pixel gradients; pairwise parts get the references', () => {
    const pw = rewardOf('pairwise', DEFAULT_CONTEXT, 7);
    const pt = rewardOf('pointwise', POINTWISE, 8);
    const both = new CombinedReward([{ reward: pw, weight: 3 }, { reward: pt, weight: 1 }]);
    expect(both.mode).toBe('pairwise');
    expect(both.id).toBe('3*tiny-pairwise+1*tiny-pointwise');
    const ref = imagesToTensor(refs, 32);
    const run = (f: (x: Tensor) => Tensor): [number[], number[]] =>
      tidy(() => {
        const x = imagesToTensor(cands, 32).requiresGrad_();
        const r = f(x);
        r.sum().backward();
        return [r.toList(), Array.from(x.grad!.toArray())];
      });
    const [a, ga] = run((x) => pw.rewardTensor(x, PROMPTS, ref));
    const [b, gb] = run((x) => pt.rewardTensor(x, PROMPTS));
    const [c, gc] = run((x) => both.rewardTensor(x, PROMPTS, ref));
    // the parts must disagree, or any mix would pass
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i]!)))).toBeGreaterThan(0.05);
    c.forEach((v, i) => expect(Math.abs(v - (0.75 * a[i]! + 0.25 * b[i]!))).toBeLessThan(1e-6));
    let maxErr = 0;
    let maxG = 0;
    gc.forEach((g, i) => {
      maxErr = Math.max(maxErr, Math.abs(g - (0.75 * ga[i]! + 0.25 * gb[i]!)));
      maxG = Math.max(maxG, Math.abs(g));
    });
    expect(maxG).toBeGreaterThan(0);
    expect(maxErr).toBeLessThan(1e-5 * maxG + 1e-9);
    // a zero weight drops its part; pointwise-only combinations need no references
    const onlyPt = new CombinedReward([{ reward: pw, weight: 0 }, { reward: pt, weight: 2 }]);
    expect(onlyPt.mode).toBe('pointwise');
    const [d] = run((x) => onlyPt.rewardTensor(x, PROMPTS));
    d.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThan(1e-6));
    const pts = new CombinedReward([{ reward: pt, weight: 1 }]);
    expect(pts.mode).toBe('pointwise');
    const [e] = run((x) => pts.rewardTensor(x, PROMPTS));
    e.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThan(1e-6));
    tidy(() => expect(() => both.rewardTensor(imagesToTensor(cands, 32), PROMPTS)).toThrow(/pairwise part/));
    expect(() => new CombinedReward([])).toThrow(ConfigError);
    expect(() => new CombinedReward([{ reward: pt, weight: -1 }])).toThrow(/weight 0 must be a finite number >= 0/);
    expect(() => new CombinedReward([{ reward: pt, weight: 0 }])).toThrow(/at least one weight must be positive/);
    both.dispose();
  });
});
