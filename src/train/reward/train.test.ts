/**
 * Reward training: overfitting 16 pairs, exact resume, the pointwise and Bradley-Terry
 * objectives, the pretraining set, evaluation bookkeeping and option parsing.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { SPECIAL_TOKENS, Tokenizer } from '../../data/tokenizer.js';
import { vlmConfig } from '../../models/vlm/config.js';
import { DEFAULT_CONTEXT } from '../../models/vlm/prompting.js';
import { makePairs } from '../../world/pairs.js';
import { pairItems } from './data.js';
import { expectedCalibrationError, pYesNormalised } from './losses.js';
import { auxiliaryItems, defaultVocabulary, pretrainItems } from './pretrain-data.js';
import { parseContext } from './sources.js';
import { batchIndices, DEFAULT_RM_TRAIN_CONFIG, trainRewardModel, type RmMetrics } from './trainer.js';

const VOCAB = [...SPECIAL_TOKENS, ...defaultVocabulary()];
const tok = new Tokenizer(defaultVocabulary());
// patch 8 keeps sequences short (16 tokens an image) so these tests stay fast; at patch 8 the
// one-convolution stem overfits 16 minimal-edit pairs within 200 steps (seeds 0-2 all reach 100%),
// while the conv stem, made for learning shapes from many images at patch 4, reaches 87.5% there.
// Before media segments had their own role table (mediaRoleStd), the same test reached only
// 50-75% with most initialisations: the model could not tell its reference from its candidate.
const TINY = vlmConfig({ dim: 32, layers: 2, heads: 2, stemChannels: 8, patch: 8, stem: 'patch', vocab: VOCAB });
const pairs16 = makePairs({ task: 't2i', criteria: 'alignment', split: 'train', n: 16, seed: 5 });
const tmp = (): string => mkdtempSync(join(tmpdir(), 'rd-rm-'));

describe('reward training', () => {
  test('a generative pairwise model overfits 16 pairs to 100% (both orders)', () => {
    const items = pairItems(pairs16, 'pairwise', DEFAULT_CONTEXT, tok, 0);
    const r = trainRewardModel({
      out: tmp(),
      config: { ...DEFAULT_RM_TRAIN_CONFIG, steps: 200, batchSize: 32, lr: 5e-3, warmupSteps: 10, evalEvery: 0 },
      model: { config: TINY },
      items,
      evalSets: { train: pairs16 },
    });
    expect(r.metrics[0]!.loss).toBeGreaterThan(0.5);
    expect(r.evaluation.train!.accuracy).toBe(1);
    expect(r.evaluation.train!.positionConsistency).toBe(1);
  }, 120_000);

  test('resume after a kill continues the same loss curve as an uninterrupted run', () => {
    const items = pairItems(pairs16, 'pairwise', DEFAULT_CONTEXT, tok, 0);
    const cfg = { ...DEFAULT_RM_TRAIN_CONFIG, steps: 6, batchSize: 8, evalEvery: 3, warmupSteps: 2 };
    const whole = trainRewardModel({ out: tmp(), config: cfg, model: { config: TINY }, items }).metrics.map((m) => m.loss);
    const out = tmp();
    trainRewardModel({ out, config: cfg, model: { config: TINY }, items, stopAfter: 3 });
    const resumed = trainRewardModel({ out, config: cfg, model: { config: TINY }, items, resume: true });
    const losses = resumed.metrics.map((m) => m.loss);
    expect(losses.length).toBe(6);
    losses.forEach((l, i) => expect(Math.abs(l - whole[i]!)).toBeLessThan(1e-5));
    const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RmMetrics);
    expect(lines.map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6]);
  }, 120_000);

  test('checkpointEvery: a run killed between evaluations resumes from its last checkpoint on the same curve', () => {
    const items = pairItems(pairs16, 'pairwise', DEFAULT_CONTEXT, tok, 0);
    const cfg = { ...DEFAULT_RM_TRAIN_CONFIG, steps: 7, batchSize: 8, evalEvery: 0, warmupSteps: 2 };
    const whole = trainRewardModel({ out: tmp(), config: cfg, model: { config: TINY }, items }).metrics.map((m) => m.loss);
    const out = tmp();
    // a crash during step 5 (an exception, not stopAfter, which checkpoints on its way out)
    expect(() =>
      trainRewardModel({ out, config: cfg, model: { config: TINY }, items, checkpointEvery: 2, onStep: (m) => {
        if (m.step === 5) throw new Error('killed');
      } }),
    ).toThrow('killed');
    expect((JSON.parse(readFileSync(join(out, 'trainer.json'), 'utf8')) as { step: number }).step).toBe(4);
    const resumed = trainRewardModel({ out, config: cfg, model: { config: TINY }, items, resume: true, checkpointEvery: 2 });
    const losses = resumed.metrics.map((m) => m.loss);
    expect(losses.length).toBe(7);
    losses.forEach((l, i) => expect(Math.abs(l - whole[i]!)).toBeLessThan(1e-5));
  }, 120_000);

  test('pointwise (BT on P(yes) logits + CE) and the scalar BT head both learn', () => {
    for (const paradigm of ['pointwise', 'bt'] as const) {
      const ctx = { ...DEFAULT_CONTEXT, reference: false };
      const items = pairItems(pairs16, paradigm, ctx, tok, 0);
      const r = trainRewardModel({ out: tmp(), config: { ...DEFAULT_RM_TRAIN_CONFIG, paradigm, context: ctx, steps: 80, batchSize: 16, lr: 3e-3, warmupSteps: 5, evalEvery: 0 }, model: { config: TINY }, items, evalSets: { train: pairs16 } });
      expect(r.metrics.at(-1)!.loss).toBeLessThan(r.metrics[0]!.loss * 0.5);
      expect(r.evaluation.train!.accuracy).toBeGreaterThanOrEqual(0.9);
    }
  }, 120_000);
});

describe('data and options', () => {
  test('the pretraining set holds captions and questions in vocabulary', () => {
    const items = pretrainItems(40, 1, tok);
    expect(items.length).toBe(40);
    const answers = items.map((i) => (i.kind === 'single' ? tok.decode(i.spec.answer) : ''));
    expect(answers.some((a) => a.startsWith('a photo of'))).toBe(true);
    expect(answers.some((a) => /^(yes|no|red|orange|yellow|green|blue|purple|pink|brown|black|white|one|two|three|four|zero)\b/.test(a))).toBe(true);
  });
  test('per-sequence pretraining weights give each sequence a total weight of one', () => {
    for (const i of pretrainItems(20, 2, tok, 32, { perSequence: true })) {
      if (i.kind !== 'single') throw new Error('pretraining items are single sequences');
      expect(i.spec.answerWeights!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    }
  });
  test('auxiliary tasks: pointwise questions of the same pairs and visual questions, with clear errors', () => {
    const aux = auxiliaryItems(['pointwise', 'vqa'], pairs16, 'pairwise', DEFAULT_CONTEXT, tok, 0, { imageSize: 32, patch: 4 });
    expect(aux.filter((i) => i.kind === 'pair').length).toBe(16);
    expect(aux.filter((i) => i.kind === 'single').length).toBe(16);
    const first = aux[0]!;
    if (first.kind !== 'pair') throw new Error('pointwise items come first');
    // pointwise: no reference image, the pointwise question, yes for chosen and no for rejected
    expect(first.chosen.segments.filter((s) => s.kind === 'media').length).toBe(1);
    expect(tok.decode(first.chosen.answer)).toBe('yes');
    expect(tok.decode(first.rejected.answer)).toBe('no');
    expect(() => auxiliaryItems(['pointwise'], pairs16, 'bt', DEFAULT_CONTEXT, tok, 0, { imageSize: 32, patch: 4 })).toThrow(/pairwise/);
    expect(() => auxiliaryItems(['ocr'], pairs16, 'pairwise', DEFAULT_CONTEXT, tok, 0, { imageSize: 32, patch: 4 })).toThrow(/unknown auxiliary task 'ocr'/);
  });
  test('batches are a pure function of (seed, step) and cover each epoch once', () => {
    expect(batchIndices(10, 4, 3, 5)).toEqual(batchIndices(10, 4, 3, 5));
    const epoch = [0, 1, 2, 3, 4].flatMap((s) => batchIndices(10, 2, 1, s));
    expect([...epoch].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
  test('--context parsing and its errors', () => {
    expect(parseContext('instruction,examples:2,cot:decision-first', 'pairwise')).toEqual({ instruction: true, reference: true, examples: 2, cot: 'decision-first' });
    expect(parseContext('none', 'pointwise')).toEqual({ instruction: false, reference: false, examples: 0, cot: 'off' });
    expect(() => parseContext('instruction,colour', 'pairwise')).toThrow(/unknown --context element 'colour'/);
    expect(() => parseContext('cot:decision-first', 'bt')).toThrow(/pairwise/);
  });
  test('P(yes) normalisation and calibration error', () => {
    expect(pYesNormalised(2, 0)).toBeCloseTo(0.8808, 4);
    expect(expectedCalibrationError([0.9, 0.9, 0.1, 0.1], [true, true, false, false])).toBeCloseTo(0.1, 10);
    expect(expectedCalibrationError([0.95, 0.95], [false, false])).toBeCloseTo(0.95, 10);
  });
});
