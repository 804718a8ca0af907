/**
 * Shared-prefix scoring: one pass over the prefix (instruction, prompt, reference) and one
 * batched continuation for many candidates must give what independent forwards give, within
 * 1e-5, for every paradigm and context it serves, and the cached forward pieces it is built
 * from must match a full forward.
 */
import { describe, expect, test } from 'vitest';
import { blankImage, imageMedia, videoMedia, type RgbImage } from '../../data/image.js';
import { ANS_ID, SPECIAL_TOKENS } from '../../data/tokenizer.js';
import { liveTensors, manualSeed, noGrad, tensor, tidy } from '../../tensor/index.js';
import { defaultVocabulary } from '../../train/reward/pretrain-data.js';
import { Rng } from '../../util/rng.js';
import { vlmConfig, type VlmConfig } from './config.js';
import { TinyVlm } from './model.js';
import { DEFAULT_CONTEXT, questionSegments, type ContextOptions, type VlmQuestion } from './prompting.js';
import { VlmScorer, type Paradigm, type VlmScore } from './scorer.js';
import { buildBatch } from './sequence.js';

const VOCAB = [...SPECIAL_TOKENS, ...defaultVocabulary()];
const TINY = { dim: 32, layers: 2, heads: 2, stemChannels: 8, vocab: VOCAB };
const WEIGHT_SCALE = 4;

function noiseImage(seed: number): RgbImage {
  const rng = new Rng(seed);
  const img = blankImage(32, 32, [rng.int(0, 256), rng.int(0, 256), rng.int(0, 256)]);
  for (let i = 0; i < img.data.length; i += 7) img.data[i] = rng.int(0, 256);
  return img;
}

const reference = imageMedia(noiseImage(999));
const base = { task: 't2i', prompt: 'a photo of two red stars left of a blue ring', criteria: 'alignment', reference } as const;
const candidates = [1, 2, 3, 4, 5].map((i) => imageMedia(noiseImage(i)));

function maxDiff(a: readonly VlmScore[], b: readonly VlmScore[]): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  a.forEach((s, i) => {
    const r = b[i]!;
    d = Math.max(d, Math.abs(s.reward - r.reward), Math.abs(s.pYesVocab - r.pYesVocab), Math.abs(s.logitYes - r.logitYes), Math.abs(s.logitNo - r.logitNo));
  });
  return d;
}

/**
 * A random model with its weight matrices scaled up: at initial scale (std 0.02) attention is
 * nearly uniform and one token's influence on the logits falls under 1e-5, so a continuation
 * that let candidate tokens see <ans> would still pass. Scaled, it fails by ~1e-3 or more.
 */
function withModel<T>(overrides: Partial<VlmConfig>, seed: number, f: (m: TinyVlm) => T): T {
  manualSeed(seed);
  const m = new TinyVlm(vlmConfig({ ...TINY, ...overrides }));
  noGrad(() => tidy(() => m.namedParameters().forEach(({ name, tensor: p }) => p.rank === 2 && !name.includes('pos') && p.copyFrom(p.mul(WEIGHT_SCALE)))));
  try {
    return f(m);
  } finally {
    m.dispose();
  }
}

describe('shared-prefix scoring equals independent scoring within 1e-5', () => {
  const cases: { name: string; paradigm: Paradigm; context: ContextOptions; config?: Partial<VlmConfig> }[] = [
    { name: 'pairwise', paradigm: 'pairwise', context: DEFAULT_CONTEXT },
    { name: 'pairwise, 3 layers', paradigm: 'pairwise', context: DEFAULT_CONTEXT, config: { layers: 3 } },
    { name: 'pairwise, patch stem and no media role table (older checkpoints)', paradigm: 'pairwise', context: DEFAULT_CONTEXT, config: { stem: 'patch', mediaRoleStd: 0 } },
    { name: 'pairwise, no instruction', paradigm: 'pairwise', context: { ...DEFAULT_CONTEXT, instruction: false } },
    { name: 'pairwise, decision-first', paradigm: 'pairwise', context: { ...DEFAULT_CONTEXT, cot: 'decision-first' } },
    { name: 'pointwise', paradigm: 'pointwise', context: { ...DEFAULT_CONTEXT, reference: false } },
    { name: 'Bradley-Terry head', paradigm: 'bt', context: DEFAULT_CONTEXT },
  ];
  cases.forEach(({ name, paradigm, context, config }, k) => {
    test(name, () => {
      withModel(config ?? {}, 10 + k, (m) => {
        const scorer = new VlmScorer(m, paradigm, context);
        const q = context.reference ? base : { ...base, reference: undefined };
        const independent = scorer.score(candidates.map((candidate) => ({ ...q, candidate })));
        const oneByOne = candidates.flatMap((candidate) => scorer.score([{ ...q, candidate }]));
        const shared = scorer.scoreShared(q, candidates);
        expect(maxDiff(shared, independent)).toBeLessThan(1e-5);
        expect(maxDiff(shared, oneByOne)).toBeLessThan(1e-5);
        // chunks of 2 (the last one short) over the same prefix
        expect(maxDiff(scorer.scoreShared(q, candidates, 2), independent)).toBeLessThan(1e-5);
        // the scores differ between candidates: the comparison is not trivially of constants
        expect(new Set(shared.map((s) => s.logitYes.toFixed(4))).size).toBeGreaterThan(1);
      });
    });
  });

  test('video reference and candidates (t2v)', () => {
    withModel({}, 20, (m) => {
      const scorer = new VlmScorer(m, 'pairwise', DEFAULT_CONTEXT);
      const clip = (s: number): ReturnType<typeof videoMedia> => videoMedia([noiseImage(s), noiseImage(s + 50), noiseImage(s + 100)]);
      const q = { ...base, task: 't2v', reference: clip(7) };
      const vids = [1, 2, 3].map(clip);
      const independent = scorer.score(vids.map((candidate) => ({ ...q, candidate })));
      expect(maxDiff(scorer.scoreShared(q, vids), independent)).toBeLessThan(1e-5);
    });
  });

  test('reason-first decodes per candidate, as score does', () => {
    withModel({}, 21, (m) => {
      const scorer = new VlmScorer(m, 'pairwise', { ...DEFAULT_CONTEXT, cot: 'reason-first' });
      const independent = scorer.score(candidates.slice(0, 2).map((candidate) => ({ ...base, candidate })));
      const shared = scorer.scoreShared(base, candidates.slice(0, 2));
      expect(maxDiff(shared, independent)).toBeLessThan(1e-5);
      expect(shared.map((s) => s.rationale)).toEqual(independent.map((s) => s.rationale));
    });
  });

  test('no tensors outlive a call; no candidates, no scores', () => {
    withModel({}, 22, (m) => {
      const scorer = new VlmScorer(m, 'pairwise', DEFAULT_CONTEXT);
      scorer.scoreShared(base, candidates);
      scorer.score(candidates.map((candidate) => ({ ...base, candidate })));
      const before = liveTensors();
      scorer.scoreShared(base, candidates, 2);
      scorer.score(candidates.map((candidate) => ({ ...base, candidate })));
      expect(liveTensors()).toBe(before);
      expect(scorer.scoreShared(base, [])).toEqual([]);
    });
  });
});

describe('cached forward pieces match the full forward', () => {
  test('prefixKeys = prefixCache; forwardWithPrefix over two segments and forwardToLast = the full forward at <ans>', () => {
    withModel({ layers: 3 }, 30, (m) => {
      m.eval();
      const scorer = new VlmScorer(m, 'pairwise', DEFAULT_CONTEXT);
      const qs: VlmQuestion[] = candidates.slice(0, 3).map((candidate) => ({ ...base, candidate }));
      noGrad(() =>
        tidy(() => {
          const batch = buildBatch(
            qs.map((q) => ({ segments: questionSegments(q, DEFAULT_CONTEXT, scorer.tok), answer: [] })),
            m.config,
          );
          const full = m.ansHidden(batch); // (3, D)
          const [text, ref, cand, ans] = [0, 1, 2, 3].map((i) => batch.segments[i]!);
          // the shared prefix of row 0 (text, reference), with and without its outputs
          const one = buildBatch([{ segments: questionSegments(qs[0]!, DEFAULT_CONTEXT, scorer.tok).slice(0, -1), answer: [] }], m.config).segments.slice(0, -1);
          const withLast = m.prefixCache(one);
          const keysOnly = m.prefixKeys(one);
          expect(keysOnly.length).toBe(text!.length + ref!.length);
          withLast.cache.forEach((e, i) => {
            expect(e.k.sub(keysOnly.cache[i]!.k).abs().max().item()).toBeLessThan(1e-5);
            expect(e.v.sub(keysOnly.cache[i]!.v).abs().max().item()).toBeLessThan(1e-5);
          });
          // block-causal continuation: candidate tokens must not see <ans>
          const xs = [cand!, ans!].map((s) => ({ x: m.embedSegment(s), length: s.length }));
          const { hidden } = m.forwardWithPrefix(withLast.cache, withLast.length, xs);
          expect(hidden.select(1, hidden.shape[1]! - 1).sub(full).abs().max().item()).toBeLessThan(1e-5);
          const last = m.forwardToLast(keysOnly.cache, xs[0]!.x, m.embedAnswer(tensor([ANS_ID, ANS_ID, ANS_ID], [3, 1], 'int64'), 0));
          expect(last.sub(full).abs().max().item()).toBeLessThan(1e-5);
        }),
      );
    });
  });

  test('greedy decoding over the cache (per-layer scopes without gradients) matches full forwards', () => {
    withModel({}, 31, (m) => {
      const ctx = { ...DEFAULT_CONTEXT, cot: 'decision-first' as const };
      const scorer = new VlmScorer(m, 'pairwise', ctx);
      const q: VlmQuestion = { ...base, candidate: candidates[0]! };
      const g = scorer.generate(q, 3, 4);
      expect(g.tokens.length).toBeGreaterThan(1);
      const ids = g.tokens.map((t) => t.id);
      noGrad(() =>
        tidy(() => {
          const batch = buildBatch([{ segments: questionSegments(q, ctx, scorer.tok), answer: ids }], m.config);
          const lp = m.answerLogits(batch).logSoftmax(-1); // (1, La, V): at <ans> and after each answer input
          g.tokens.forEach((t, j) => expect(Math.abs(lp.select(1, j).select(1, t.id).item() - t.logprob)).toBeLessThan(1e-5));
        }),
      );
    });
  });

  test('with gradients the forward keeps its graph and gives the no-gradient values', () => {
    withModel({}, 32, (m) => {
      m.eval();
      const scorer = new VlmScorer(m, 'pairwise', DEFAULT_CONTEXT);
      const batch = () => buildBatch([{ segments: questionSegments({ ...base, candidate: candidates[1]! }, DEFAULT_CONTEXT, scorer.tok), answer: [] }], m.config);
      const plain = noGrad(() => tidy(() => m.ansHidden(batch()).toList()));
      tidy(() => {
        const h = m.ansHidden(batch());
        h.toList().forEach((x, i) => expect(Math.abs(x - plain[i]!)).toBeLessThan(1e-6));
        h.square().sum().backward();
        expect(m.blocks.items[0]!.attn.qkv.weight.grad).not.toBeNull();
      });
    });
  });
});
