/**
 * `rl --algo refl` end to end on tiny models: a local pairwise VLM checkpoint as the reward
 * (references by tournament), metrics.jsonl with the diagnostics, a killed-and-resumed run on
 * the same curve, a pointwise checkpoint without references, and the refusals (oracle, URL).
 * `rl --algo grpo` with a pairwise checkpoint: scored against tournament references too.
 * Repeated --reward: ReFL against the weighted mean of two checkpoints, GRPO against the oracle
 * and a checkpoint.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SPECIAL_TOKENS } from '../../data/tokenizer.js';
import { FlowUNet, generatorConfig, saveGenerator } from '../../models/generator/index.js';
import { vlmConfig } from '../../models/vlm/config.js';
import { TinyVlm } from '../../models/vlm/model.js';
import { DEFAULT_CONTEXT } from '../../models/vlm/prompting.js';
import { saveCheckpoint } from '../../nn/index.js';
import { manualSeed, noGrad, randn, tidy } from '../../tensor/index.js';
import { defaultVocabulary } from '../../train/reward/pretrain-data.js';
import { runRl, summary } from './rl.js';

const dir = mkdtempSync(join(tmpdir(), 'rd-rl-'));
const gen = join(dir, 'gen');
const prompts = join(dir, 'prompts.txt');

function vlmCheckpoint(name: string, paradigm: 'pairwise' | 'pointwise'): string {
  manualSeed(paradigm === 'pairwise' ? 2 : 3);
  const m = new TinyVlm(vlmConfig({ dim: 32, layers: 2, heads: 2, stemChannels: 8, vocab: [...SPECIAL_TOKENS, ...defaultVocabulary()], scalarHead: false }));
  noGrad(() => tidy(() => m.head.weight.copyFrom(randn(m.head.weight.shape))));
  const out = join(dir, name);
  saveCheckpoint(out, { config: { ...m.config, paradigm, context: { ...DEFAULT_CONTEXT, reference: paradigm === 'pairwise' } }, model: m });
  m.dispose();
  return out;
}

manualSeed(0);
const g = new FlowUNet(generatorConfig('tiny'));
saveGenerator(gen, g);
g.dispose();
writeFileSync(prompts, ['a photo of a red circle', 'a photo of two blue stars', 'a photo of a green ring', '# a comment', 'a photo of a moon'].join('\n'));
const pairwise = vlmCheckpoint('rm-pair', 'pairwise');
const pointwise = vlmCheckpoint('rm-point', 'pointwise');

const common = { algo: 'refl', generator: gen, prompts, group: '2', promptsPerStep: '2', sampleSteps: '2', refs: '3', evalEvery: '0', evalSamples: '4', lr: '1e-3', anchor: '0.1', json: true };

function lines(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('rl --algo refl', () => {
  it('trains against a local pairwise checkpoint: metrics every step, resume on the same curve', async () => {
    const full = join(dir, 'full');
    const m = await runRl({ ...common, reward: pairwise, steps: '2', out: full });
    expect(m?.step).toBe(2);
    const a = lines(join(full, 'metrics.jsonl'));
    expect(a.map((x) => x.step)).toEqual([0, 1, 2]);
    for (const k of ['reward', 'rewardStd', 'groupStd', 'flatGroups', 'oracleTrain', 'diversity', 'anchorLoss', 'stopStep', 'drift', 'referencesCached', 'alarm']) expect(a[1]).toHaveProperty(k);
    expect(a[1]!.reward as number).toBeGreaterThan(0);
    expect(a[1]!.reward as number).toBeLessThan(1);
    expect(a[1]!.referencesCached as number).toBeGreaterThanOrEqual(1);
    expect(a[2]!.drift as number).toBeGreaterThan(0);
    expect(a[0]!.eval).toBeDefined();
    expect(a[2]!.eval).toBeDefined();
    expect(summary(m!, full)).toMatch(/anchor loss .* held-out reward/);

    const broken = join(dir, 'broken');
    await runRl({ ...common, reward: pairwise, steps: '1', out: broken });
    await runRl({ ...common, reward: pairwise, steps: '2', out: broken, resume: true });
    const b = lines(join(broken, 'metrics.jsonl'));
    expect(b.map((x) => x.step)).toEqual([0, 1, 2]);
    const pick = (x: Record<string, unknown>): unknown[] => [x.reward, x.anchorLoss, x.drift, x.stopStep];
    expect(pick(b[2]!)).toEqual(pick(a[2]!));
  }, 120_000);

  it('trains against a pointwise checkpoint (no references)', async () => {
    const out = join(dir, 'point');
    const m = await runRl({ ...common, reward: pointwise, steps: '1', out, group: '1' });
    expect(m?.step).toBe(1);
    expect(lines(join(out, 'metrics.jsonl'))[1]!.referencesCached).toBe(0);
  }, 60_000);

  it('grpo with a pairwise checkpoint scores against tournament references, not as pointwise', async () => {
    const out = join(dir, 'grpo-pair');
    const m = await runRl({ algo: 'grpo', generator: gen, prompts, reward: pairwise, steps: '1', out, group: '2', promptsPerStep: '2', sampleSteps: '2', refs: '3', evalEvery: '0', evalSamples: '4', lr: '1e-3', json: true });
    expect(m?.step).toBe(1);
    const a = lines(join(out, 'metrics.jsonl'));
    expect(a.map((x) => x.step)).toEqual([0, 1]);
    expect(a[1]!.referencesCached as number).toBeGreaterThanOrEqual(1);
    expect(a[1]!.reward as number).toBeGreaterThan(0);
    expect(a[1]!.reward as number).toBeLessThan(1);
    expect((a[1]!.eval as { heldOutReward: number }).heldOutReward).toBeGreaterThan(0);
  }, 60_000);

  it('refuses rewards without gradients, pointing to GRPO; checks ReFL-only flags', async () => {
    const base = { ...common, steps: '1', out: join(dir, 'x') };
    await expect(runRl({ ...base, reward: 'oracle' })).rejects.toThrow(/oracle .*--algo grpo/);
    await expect(runRl({ ...base, reward: 'http://127.0.0.1:9/v1?model=m' })).rejects.toThrow(/remote model .*--algo grpo/);
    await expect(runRl({ ...base, reward: join(dir, 'missing') })).rejects.toThrow(/checkpoint folder .*--algo grpo/);
    await expect(runRl({ ...base, reward: pairwise, refs: '17' })).rejects.toThrow(/--refs must be at most 16/);
    await expect(runRl({ ...base, reward: pairwise, beta: '0.1' })).rejects.toThrow(/--beta .* GRPO/);
    await expect(runRl({ ...base, algo: 'grpo', reward: 'oracle', refs: '4' })).rejects.toThrow(/--anchor is a ReFL option/);
    await expect(runRl({ ...base, algo: 'grpo', reward: 'oracle', refs: '4', anchor: undefined })).rejects.toThrow(/--refs sets the reference tournament of pairwise rewards; 'oracle' is pointwise/);
    await expect(runRl({ ...base, algo: 'grpo', reward: pairwise, refs: '17', anchor: undefined })).rejects.toThrow(/--refs must be at most 16/);
    await expect(runRl({ ...base, algo: 'grpo', reward: pairwise, anchor: undefined, rewardOrders: 'both' })).rejects.toThrow(/--reward-orders is a ReFL option/);
    await expect(runRl({ ...base, reward: pairwise, rewardOrders: 'two' })).rejects.toThrow(/--reward-orders must be one of one, both, got 'two'/);
    await expect(runRl({ ...base, reward: pointwise, rewardOrders: 'both' })).rejects.toThrow(/--reward-orders both .* is pointwise/);
    await expect(runRl({ ...base, algo: 'grpo', reward: 'oracle', anchor: undefined, gradSteps: '2' })).rejects.toThrow(/--grad-steps is a ReFL option/);
    await expect(runRl({ ...base, algo: 'grpo', reward: 'oracle', anchor: undefined, stopMin: '2' })).rejects.toThrow(/--stop-min is a ReFL option/);
    await expect(runRl({ ...base, reward: pointwise, gradSteps: '0' })).rejects.toThrow(/--grad-steps/);
    await expect(runRl({ ...base, reward: pointwise, sampleSteps: '4', stopMin: '1', gradSteps: '5' })).rejects.toThrow(/gradSteps must be an integer in \[1, 4\]/);
    await expect(runRl({ ...base, algo: 'grpo', reward: 'oracle', anchor: undefined, objective: 'logp' })).rejects.toThrow(/--objective is a ReFL option/);
    await expect(runRl({ ...base, reward: pointwise, objective: 'log' })).rejects.toThrow(/--objective must be 'p' or 'logp', got 'log'/);
    await expect(runRl({ ...base, reward: pointwise, sampleSteps: '4', stopMin: '4' })).rejects.toThrow(/stopMin must be in \[0, 3\]/);
  });

  it('--reward-orders both trains against the pairwise checkpoint read in both orders', async () => {
    const out = join(dir, 'both');
    const m = await runRl({ ...common, reward: pairwise, steps: '1', out, rewardOrders: 'both' });
    expect(m?.step).toBe(1);
    const one = await runRl({ ...common, reward: pairwise, steps: '1', out: join(dir, 'one') });
    // same generator, prompts, references and noise: only the reading of the pair differs
    expect(m!.reward).not.toBeCloseTo(one!.reward, 6);
    expect(m!.reward).toBeGreaterThan(0);
    expect(m!.reward).toBeLessThan(1);
  }, 60_000);

  it('--reward twice trains against the weighted mean of the two checkpoints (ReFL), and GRPO combines any rewards', async () => {
    const pair = await runRl({ ...common, reward: pairwise, steps: '1', out: join(dir, 'mix-pair') });
    const point = await runRl({ ...common, reward: pointwise, steps: '1', out: join(dir, 'mix-point') });
    const mix = await runRl({ ...common, reward: [pairwise, pointwise], rewardWeights: '3,1', steps: '1', out: join(dir, 'mix') });
    // same generator, noise and references (the tournament is judged by the pairwise part alone)
    expect(Math.abs(pair!.reward - point!.reward)).toBeGreaterThan(1e-3);
    expect(mix!.reward).toBeCloseTo(0.75 * pair!.reward + 0.25 * point!.reward, 5);
    expect(lines(join(dir, 'mix', 'metrics.jsonl'))[1]!.referencesCached as number).toBeGreaterThanOrEqual(1);
    const equal = await runRl({ ...common, reward: [pairwise, pointwise], steps: '1', out: join(dir, 'mix-equal') });
    expect(equal!.reward).toBeCloseTo(0.5 * pair!.reward + 0.5 * point!.reward, 5);

    const grpo = { algo: 'grpo', generator: gen, prompts, steps: '1', group: '2', promptsPerStep: '2', sampleSteps: '2', evalEvery: '0', evalSamples: '4', lr: '1e-3', json: true };
    const oracle = await runRl({ ...grpo, reward: 'oracle', out: join(dir, 'g-oracle') });
    const pt = await runRl({ ...grpo, reward: pointwise, out: join(dir, 'g-point') });
    const both = await runRl({ ...grpo, reward: ['oracle', pointwise], rewardWeights: '1,1', out: join(dir, 'g-both') });
    expect(both!.reward).toBeCloseTo((oracle!.reward + pt!.reward) / 2, 5);
  }, 120_000);

  it('refuses bad combinations with a message that says what to give', async () => {
    const base = { ...common, steps: '1', out: join(dir, 'never') };
    await expect(runRl({ ...base, reward: [] })).rejects.toThrow(/--reward is required/);
    await expect(runRl({ ...base, reward: undefined })).rejects.toThrow(/--reward is required/);
    await expect(runRl({ ...base, reward: [pairwise, pointwise], rewardWeights: '1' })).rejects.toThrow(/1 weight\(s\) for 2 --reward model\(s\)/);
    await expect(runRl({ ...base, reward: [pairwise, pointwise], rewardWeights: '1,-2' })).rejects.toThrow(/--reward-weights '1,-2': weight 1 must be a finite number >= 0/);
    await expect(runRl({ ...base, reward: [pairwise, pointwise], rewardWeights: '0,0' })).rejects.toThrow(/at least one weight must be positive/);
    await expect(runRl({ ...base, reward: [pointwise, 'oracle'] })).rejects.toThrow(/oracle .*--algo grpo/);
    await expect(runRl({ ...base, reward: [pointwise, pointwise], rewardOrders: 'both' })).rejects.toThrow(/--reward-orders both .* are pointwise/);
    await expect(runRl({ ...base, algo: 'grpo', anchor: undefined, reward: ['oracle', pointwise], refs: '3' })).rejects.toThrow(/--refs .* are pointwise/);
  });
});
