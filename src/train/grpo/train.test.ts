/**
 * GRPO trainer on a tiny generator: metrics lines with the diagnostics, a killed-and-resumed
 * run continuing exactly like an unbroken one, and a pairwise reward scored against
 * per-prompt tournament references (never as if it were pointwise).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FlowUNet, generatorConfig, saveGenerator } from '../../models/generator/index.js';
import type { RewardModel, RewardQuery } from '../../rewards/types.js';
import { manualSeed } from '../../tensor/index.js';
import { samplePrompts } from '../../world/prompts.js';
import { trainGrpo, type GrpoConfig } from './train.js';

const CFG: Partial<GrpoConfig> = { promptsPerStep: 2, groupSize: 3, sampleSteps: 2, evalEvery: 0, evalSamples: 6, evalSteps: 2, lr: 1e-3 };

function red(m: RewardQuery['candidate']): number {
  const img = m.kind === 'image' ? m.image : m.frames[0]!;
  let s = 0;
  for (let i = 0; i < img.data.length; i += 3) s += img.data[i]!;
  return s / (img.data.length / 3) / 255;
}

function result(r: number): { reward: number; pYesVocab: number; logitYes: number; logitNo: number; ms: number } {
  const l = Math.log(r / (1 - r));
  return { reward: r, pYesVocab: r, logitYes: l / 2, logitNo: -l / 2, ms: 0 };
}

/** A reward with signal even for an untrained generator: the image's mean red level. */
const redness: RewardModel = {
  id: 'redness',
  mode: 'pointwise',
  score: (qs) => Promise.resolve(qs.map((q) => result(red(q.candidate)))),
};

/**
 * P(candidate is redder than the reference); like a local pairwise checkpoint, it refuses a
 * query without a reference. Records its queries.
 */
function pairRedness(seen: RewardQuery[]): RewardModel {
  return {
    id: 'pair-redness',
    mode: 'pairwise',
    score: (qs) => {
      seen.push(...qs);
      if (qs.some((q) => !q.reference)) return Promise.reject(new Error('pair-redness: this pairwise model needs a reference image'));
      return Promise.resolve(qs.map((q) => result(1 / (1 + Math.exp(-20 * (red(q.candidate) - red(q.reference!)))))));
    },
  };
}

function lines(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('GRPO trainer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rd-grpo-'));
  const gen = join(dir, 'gen');
  manualSeed(0);
  const g = new FlowUNet(generatorConfig('tiny'));
  saveGenerator(gen, g);
  g.dispose();
  const prompts = samplePrompts({ n: 6, seed: 1 });

  it('writes diagnostics every step and resumes after a kill as if unbroken', async () => {
    const full = join(dir, 'full');
    await trainGrpo({ generator: gen, reward: redness, prompts, out: full, steps: 2, config: CFG });
    const a = lines(join(full, 'metrics.jsonl'));
    expect(a.map((m) => m.step)).toEqual([0, 1, 2]);
    for (const k of ['reward', 'rewardStd', 'groupStd', 'flatGroups', 'oracleTrain', 'diversity', 'kl', 'clipFrac', 'ratioMaxDev', 'drift', 'alarm']) expect(a[1]).toHaveProperty(k);
    expect(a[2]!.eval).toBeDefined();
    expect(a[2]!.drift as number).toBeGreaterThan(0);

    const broken = join(dir, 'broken');
    await trainGrpo({ generator: gen, reward: redness, prompts, out: broken, steps: 1, config: CFG });
    await trainGrpo({ generator: gen, reward: redness, prompts, out: broken, steps: 2, resume: true, config: CFG });
    const b = lines(join(broken, 'metrics.jsonl'));
    expect(b.map((m) => m.step)).toEqual([0, 1, 2]);
    const pick = (m: Record<string, unknown>): unknown[] => [m.reward, m.kl, m.drift];
    expect(pick(b[2]!)).toEqual(pick(a[2]!));
  }, 60_000);

  it('climbs its reward: the held-out redness rises when redness is the reward and falls when its opposite is', async () => {
    const blueness: RewardModel = { id: 'not-red', mode: 'pointwise', score: (qs) => Promise.resolve(qs.map((q) => result(1 - red(q.candidate)))) };
    const cfg = { ...CFG, promptsPerStep: 2, groupSize: 4, evalSamples: 8 };
    const heldOut = (out: string): number[] => lines(join(out, 'metrics.jsonl')).filter((m) => m.eval).map((m) => (m.eval as { heldOutReward: number }).heldOutReward);
    const up = join(dir, 'up');
    const down = join(dir, 'down');
    await trainGrpo({ generator: gen, reward: redness, prompts, out: up, steps: 8, config: cfg });
    await trainGrpo({ generator: gen, reward: blueness, prompts, out: down, steps: 8, config: cfg });
    const [r0, r1] = heldOut(up);
    const [b0, b1] = heldOut(down);
    expect(r0! + b0!).toBeCloseTo(1, 6); // the same pretrained samples, read both ways
    expect(r1! - r0!).toBeGreaterThan(0.01);
    expect(b1! - b0!).toBeGreaterThan(0.01);
  }, 60_000);

  it('scores a pairwise reward against each prompt\'s tournament reference (cached), and the held-out samples against the pretrained ones', async () => {
    const seen: RewardQuery[] = [];
    const out = join(dir, 'pairwise');
    const m = await trainGrpo({ generator: gen, reward: pairRedness(seen), prompts, out, steps: 2, config: { ...CFG, references: 3 } });
    expect(m?.step).toBe(2);
    const a = lines(join(out, 'metrics.jsonl'));
    expect(a.map((x) => x.step)).toEqual([0, 1, 2]);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((q) => q.reference !== undefined)).toBe(true);
    // tournaments: 3 candidates in a round robin = 6 queries per new prompt, each a pair of pretrained samples
    expect(a[1]!.referencesCached as number).toBeGreaterThanOrEqual(1);
    expect(a[2]!.referencesCached as number).toBeGreaterThanOrEqual(a[1]!.referencesCached as number);
    expect(a[2]!.referencesCached as number).toBeLessThanOrEqual(2 * CFG.promptsPerStep!);
    // within a step, every sample of a prompt is compared with the same reference
    const training = seen.filter((q) => q.metadata !== undefined && prompts.includes(q.metadata));
    const byPrompt = new Map<string, Set<unknown>>();
    for (const q of training) byPrompt.set(q.prompt, (byPrompt.get(q.prompt) ?? new Set()).add(q.reference?.kind === 'image' ? q.reference.image : null));
    expect(byPrompt.size).toBeGreaterThanOrEqual(1);
    for (const refs of byPrompt.values()) expect(refs.size).toBe(1);
    for (const x of a.slice(1)) {
      expect(x.reward as number).toBeGreaterThan(0);
      expect(x.reward as number).toBeLessThan(1);
    }
    expect((a[0]!.eval as { heldOutReward: number }).heldOutReward).toBeCloseTo(0.5, 6); // the pretrained policy against itself
    // a pointwise reward gets no references
    expect(lines(join(dir, 'full', 'metrics.jsonl'))[1]!.referencesCached).toBe(0);
  }, 60_000);
});
