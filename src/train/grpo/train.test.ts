/**
 * GRPO trainer on a tiny generator with the oracle reward: metrics lines with the
 * diagnostics, and a killed-and-resumed run continuing exactly like an unbroken one.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FlowUNet, generatorConfig, saveGenerator } from '../../models/generator/index.js';
import type { RewardModel } from '../../rewards/types.js';
import { manualSeed } from '../../tensor/index.js';
import { samplePrompts } from '../../world/prompts.js';
import { trainGrpo, type GrpoConfig } from './train.js';

const CFG: Partial<GrpoConfig> = { promptsPerStep: 2, groupSize: 3, sampleSteps: 2, evalEvery: 0, evalSamples: 6, evalSteps: 2, lr: 1e-3 };

/** A reward with signal even for an untrained generator: the image's mean red level. */
const redness: RewardModel = {
  id: 'redness',
  mode: 'pointwise',
  score: (qs) =>
    Promise.resolve(
      qs.map((q) => {
        const img = q.candidate.kind === 'image' ? q.candidate.image : q.candidate.frames[0]!;
        let s = 0;
        for (let i = 0; i < img.data.length; i += 3) s += img.data[i]!;
        const r = s / (img.data.length / 3) / 255;
        const l = Math.log(r / (1 - r));
        return { reward: r, pYesVocab: r, logitYes: l / 2, logitNo: -l / 2, ms: 0 };
      }),
    ),
};

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
    for (const k of ['reward', 'rewardStd', 'groupStd', 'flatGroups', 'oracleTrain', 'diversity', 'kl', 'clipFrac', 'drift', 'alarm']) expect(a[1]).toHaveProperty(k);
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
});
