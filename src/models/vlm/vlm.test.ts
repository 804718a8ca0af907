/**
 * The tiny VLM: tokenizer errors, sequence masks, P(yes) normalisations, shared-prefix scoring,
 * reason-first decoding, bad inputs, and the reward contract for the local model.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { blankImage, imageMedia, type RgbImage } from '../../data/image.js';
import { ANS_ID, SPECIAL_TOKENS, Tokenizer } from '../../data/tokenizer.js';
import { CheckpointError, ConfigError, InputError, ShapeError } from '../../errors.js';
import { saveCheckpoint } from '../../nn/index.js';
import { contractImage, rewardModelContract } from '../../rewards/contract.js';
import { LocalVlmRewardModel, loadVlmCheckpoint } from '../../rewards/generative.js';
import { manualSeed } from '../../tensor/index.js';
import { Rng } from '../../util/rng.js';
import { defaultVocabulary } from '../../train/reward/pretrain-data.js';
import { evaluateVqa } from '../../train/reward/pretrain-eval.js';
import { vlmConfig } from './config.js';
import { TinyVlm } from './model.js';
import { DEFAULT_CONTEXT, trainingSequence, type VlmQuestion } from './prompting.js';
import { VlmScorer } from './scorer.js';
import { buildBatch, IGNORE_INDEX, imagesToTensor } from './sequence.js';

const VOCAB = [...SPECIAL_TOKENS, ...defaultVocabulary()];
const TINY = { dim: 32, layers: 2, heads: 2, stemChannels: 8, vocab: VOCAB };

function noiseImage(seed: number, size = 32): RgbImage {
  const rng = new Rng(seed);
  const img = blankImage(size, size, [rng.int(0, 256), rng.int(0, 256), rng.int(0, 256)]);
  for (let i = 0; i < img.data.length; i += 7) img.data[i] = rng.int(0, 256);
  return img;
}

function question(seed: number, withRef = true): VlmQuestion {
  return { task: 't2i', prompt: 'a photo of a red circle', criteria: 'alignment', candidate: imageMedia(noiseImage(seed)), reference: withRef ? imageMedia(noiseImage(999)) : undefined };
}

describe('tokenizer', () => {
  const tok = new Tokenizer(defaultVocabulary());
  test('encodes world prompts and splits punctuation', () => {
    expect(tok.decode(tok.encode('a photo of a red circle'))).toBe('a photo of a red circle');
    expect(tok.split('prompt: a red star?')).toEqual(['prompt', ':', 'a', 'red', 'star', '?']);
  });
  test('unknown words are an InputError naming each of them', () => {
    expect(() => tok.encode('a photo of a purple giraffe and a zebra')).toThrow(InputError);
    expect(() => tok.encode('a photo of a purple giraffe and a zebra')).toThrow(/'giraffe', 'zebra'/);
  });
});

describe('sequences', () => {
  const tok = new Tokenizer(defaultVocabulary());
  const config = vlmConfig(TINY);
  test('targets cover only answer tokens; attention is block-causal by segment', () => {
    const ctx = { ...DEFAULT_CONTEXT, cot: 'decision-first' as const };
    const short = trainingSequence(question(1), true, 'the second image matches it', ctx, tok);
    const long = trainingSequence({ ...question(2), prompt: 'a photo of two blue stars' }, false, 'the prompt asks for two blue stars but the second image has three blue stars', ctx, tok);
    const batch = buildBatch([short, long], config);
    const targets = batch.targets!.toList();
    const la = batch.targets!.shape[1]!;
    // row 0's answer is shorter: its tail is ignored, row 1 is all answer tokens
    expect(targets.slice(0, short.answer.length)).toEqual(short.answer);
    expect(targets.slice(short.answer.length, la).every((t) => t === IGNORE_INDEX)).toBe(true);
    expect(targets.slice(la)).toEqual(long.answer);
    const t = batch.length;
    const mask = batch.mask.toArray();
    const at = (b: number, q: number, k: number): number => mask[(b * t + q) * t + k]!;
    // the <ans> token sees the whole prefix of the longer row but not the answer after it
    const ans = batch.ansIndex;
    for (let k = 0; k <= ans; k++) if (k !== 1 + (batch.segments[0]!.length - 1)) expect(at(1, ans, k)).toBe(0);
    for (let k = ans + 1; k < t; k++) expect(at(1, ans, k)).toBe(-Infinity);
    // image tokens see each other both ways (bidirectional within a segment) but not later segments
    const refStart = batch.segments[0]!.length;
    expect(at(0, refStart, refStart + 5)).toBe(0);
    expect(at(0, refStart + 5, refStart)).toBe(0);
    expect(at(0, refStart, refStart + 64)).toBe(-Infinity);
    expect(batch.segments.at(-1)!.kind).toBe('text');
    expect((batch.segments.at(-1) as { ids: { toList(): number[] } }).ids.toList()).toEqual([ANS_ID, ANS_ID]);
  });
  test('wrong image sizes are a ShapeError naming the sizes', () => {
    const q = { ...question(1), candidate: imageMedia(noiseImage(1, 16)) };
    expect(() => buildBatch([trainingSequence(q, true, undefined, DEFAULT_CONTEXT, tok)], config)).toThrow(ShapeError);
    expect(() => buildBatch([trainingSequence(q, true, undefined, DEFAULT_CONTEXT, tok)], config)).toThrow(/16x16.*32x32/);
  });
});

describe('scoring', () => {
  manualSeed(0);
  const model = new TinyVlm(vlmConfig(TINY));
  test('P(yes) is in [0, 1] and the two normalisations agree', () => {
    const scorer = new VlmScorer(model, 'pairwise', DEFAULT_CONTEXT);
    const scores = scorer.score([question(1), question(2), question(3)]);
    for (const s of scores) {
      expect(s.reward).toBeGreaterThan(0);
      expect(s.reward).toBeLessThan(1);
      expect(s.pYesVocab).toBeLessThanOrEqual(s.reward + 1e-9); // yes over {yes,no} >= yes over everything
      expect(s.reward).toBeCloseTo(1 / (1 + Math.exp(s.logitNo - s.logitYes)), 10);
    }
  });
  test('shared-prefix scoring equals independent scoring within 1e-5', () => {
    const scorer = new VlmScorer(model, 'pairwise', DEFAULT_CONTEXT);
    const qs = [1, 2, 3, 4, 5].map((i) => question(i));
    const independent = scorer.score(qs);
    const shared = scorer.scoreShared(qs[0]!, qs.map((q) => q.candidate));
    shared.forEach((s, i) => {
      expect(Math.abs(s.logitYes - independent[i]!.logitYes)).toBeLessThan(1e-5);
      expect(Math.abs(s.reward - independent[i]!.reward)).toBeLessThan(1e-5);
    });
  });
  test('reason-first decodes a rationale and still reads P(yes)', () => {
    const scorer = new VlmScorer(model, 'pairwise', { ...DEFAULT_CONTEXT, cot: 'reason-first' });
    const [s] = scorer.score([question(1)]);
    expect(typeof s!.rationale).toBe('string');
    expect(s!.reward).toBeGreaterThan(0);
    expect(s!.reward).toBeLessThan(1);
  });
});

describe('checkpoints', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rd-vlm-'));
  test('a checkpoint loads as a reward model; a mismatched one is a CheckpointError', () => {
    manualSeed(1);
    const m = new TinyVlm(vlmConfig(TINY));
    saveCheckpoint(join(dir, 'ok'), { config: { ...m.config, paradigm: 'pairwise', context: DEFAULT_CONTEXT }, model: m });
    const loaded = loadVlmCheckpoint(join(dir, 'ok'));
    expect(loaded.paradigm).toBe('pairwise');
    expect(loaded.model.tok.weight.toList()).toEqual(m.tok.weight.toList());
    const wider = new TinyVlm(vlmConfig({ ...TINY, dim: 64, heads: 4 }));
    saveCheckpoint(join(dir, 'bad'), { config: { ...m.config, paradigm: 'pairwise' }, model: wider });
    expect(() => loadVlmCheckpoint(join(dir, 'bad'))).toThrow(CheckpointError);
    expect(() => loadVlmCheckpoint(join(dir, 'bad'))).toThrow(/shape/);
  });
  test('the stem is a setting; configs from before it load with the patch stem', () => {
    expect(() => vlmConfig({ ...TINY, stem: 'deep' as 'conv' })).toThrow(ConfigError);
    expect(() => vlmConfig({ ...TINY, stem: 'conv', imageSize: 36, patch: 6 })).toThrow(/power-of-two/);
    const conv = new TinyVlm(vlmConfig({ ...TINY, stem: 'conv' }));
    const patch = new TinyVlm(vlmConfig({ ...TINY, stem: 'patch' }));
    // conv: 3x3 8->16, 3x3 16->32 (stride 2 twice for patch 4), 1x1 32->32, a norm (gain, bias) after
    // each of the three 3x3 convolutions; patch: a 4x4 8->32 patchify
    expect(conv.parameterCount() - patch.parameterCount()).toBe(16 * 8 * 9 + 16 + 32 * 16 * 9 + 32 + 32 * 32 + 32 + 2 * (8 + 16 + 32) - (32 * 8 * 16 + 32));
    const images = imagesToTensor([noiseImage(1), noiseImage(2)], 32);
    expect(conv.encoder.encodeImages(images).shape).toEqual(patch.encoder.encodeImages(images).shape);
    const before = new TinyVlm(vlmConfig({ ...TINY, stem: 'patch', mediaRoleStd: 0 }));
    const { stem: _s, mediaRoleStd: _m, ...old } = { ...before.config, paradigm: 'pairwise' };
    saveCheckpoint(join(dir, 'old'), { config: old, model: before });
    before.dispose();
    const legacy = loadVlmCheckpoint(join(dir, 'old')).model;
    expect(legacy.config.stem).toBe('patch');
    // and without a media role table: images use the text role embeddings, as they were trained
    expect(legacy.config.mediaRoleStd).toBe(0);
    expect(legacy.mediaRole).toBeNull();
    expect(conv.mediaRole).not.toBeNull();
    expect(() => vlmConfig({ ...TINY, mediaRoleStd: -1 })).toThrow(ConfigError);
    conv.dispose();
    patch.dispose();
  });
});

describe('visual-question evaluation', () => {
  test('counts every question once per skill, with the majority floor of the same questions', () => {
    manualSeed(2);
    const m = new TinyVlm(vlmConfig(TINY));
    const e = evaluateVqa(m, { n: 60, seed: 5 });
    expect(e.n).toBe(60);
    const skills = Object.values(e.bySkill);
    expect(skills.reduce((a, s) => a + s.n, 0)).toBe(60);
    for (const s of skills) {
      expect(s.accuracy).toBeGreaterThanOrEqual(0);
      expect(s.accuracy).toBeLessThanOrEqual(1);
      expect(s.majority).toBeGreaterThan(0);
    }
    expect(e.majority).toBeCloseTo(skills.reduce((a, s) => a + s.majority * s.n, 0) / 60, 10);
    expect(evaluateVqa(m, { n: 60, seed: 5 })).toEqual(e);
    m.dispose();
  });
});

function contractQueriesAt32(mode: 'pairwise' | 'pointwise') {
  const ref = imageMedia(contractImage(100, 32));
  return ['a red circle', 'two blue squares', 'a green triangle left of a yellow star'].map((prompt, i) => ({
    task: 't2i' as const,
    prompt,
    criteria: 'alignment',
    candidate: imageMedia(contractImage(i + 1, 32)),
    ...(mode === 'pairwise' ? { reference: ref } : {}),
  }));
}

rewardModelContract({
  name: 'local generative pairwise VLM',
  create: () => {
    manualSeed(3);
    return new LocalVlmRewardModel('tiny', new TinyVlm(vlmConfig(TINY)), 'pairwise', DEFAULT_CONTEXT);
  },
  queries: contractQueriesAt32,
  batchTolerance: 1e-5,
  repeatTolerance: 0,
});
rewardModelContract({
  name: 'local generative pointwise VLM',
  create: () => {
    manualSeed(4);
    return new LocalVlmRewardModel('tiny-pt', new TinyVlm(vlmConfig(TINY)), 'pointwise', { ...DEFAULT_CONTEXT, reference: false });
  },
  queries: contractQueriesAt32,
  batchTolerance: 1e-5,
});
rewardModelContract({
  name: 'local Bradley-Terry head (regressive baseline)',
  create: () => {
    manualSeed(6);
    return new LocalVlmRewardModel('tiny-bt', new TinyVlm(vlmConfig(TINY)), 'bt', { ...DEFAULT_CONTEXT, reference: false });
  },
  queries: contractQueriesAt32,
  batchTolerance: 1e-5,
});
