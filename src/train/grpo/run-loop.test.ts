/**
 * RlRunFolder's hacking alarm: the evaluation before training (step 0) is the curve's baseline,
 * in a fresh run and in one resumed from its checkpoint.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FlowUNet, generatorConfig } from '../../models/generator/index.js';
import { AdamW, manualSeed } from '../../tensor/index.js';
import { RlRunFolder, type RlEval, type RlStepBase } from './run-loop.js';

const dir = mkdtempSync(join(tmpdir(), 'rd-runloop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const evalOf = (quality: number): RlEval => ({ score: 0.33, lo: 0.28, hi: 0.39, n: 256, heldOutReward: 0.5, quality, background: [140, 150, 160] });
const stepOf = (step: number, reward: number, ev?: RlEval): RlStepBase => ({ step, reward, rewardStd: 0.1, groupStd: 0.05, flatGroups: 0, oracleTrain: 0.3, diversity: 1, drift: 0, ms: 1, alarm: false, ...(ev ? { eval: ev } : {}) });

describe('RlRunFolder alarm', () => {
  it('compares against the step-0 evaluation, also after a resume', () => {
    manualSeed(0);
    const policy = new FlowUNet(generatorConfig('tiny'));
    const opt = new AdamW(policy.namedParameters(), { lr: 1e-4, weightDecay: 0 });
    const out = join(dir, 'run');
    const folder = RlRunFolder.open(out, false, policy, opt);
    folder.writeInitial(evalOf(0.86));
    // 60 steps, longer than the alarm's 20-step window; the reward climbs 0.3 -> 0.6 and quality is
    // evaluated at steps 30 (0.83) and 60 (0.80): -0.06 from the start, only -0.03 from step 30
    const reward = (s: number): number => 0.3 + 0.005 * s;
    const evalAt = (s: number): RlEval | undefined => (s === 30 ? evalOf(0.83) : s === 60 ? evalOf(0.8) : undefined);
    for (let s = 1; s <= 30; s++) {
      expect(folder.alarm(s, reward(s), evalAt(s)).fired).toBe(false);
      folder.commit(stepOf(s, reward(s), evalAt(s)), policy, opt, {});
    }
    const run = (f: RlRunFolder, from: number): ReturnType<RlRunFolder['alarm']> => {
      let v = f.alarm(from, reward(from), evalAt(from));
      for (let s = from + 1; s <= 60; s++) v = f.alarm(s, reward(s), evalAt(s));
      return v;
    };
    const fresh = run(folder, 31);
    expect(fresh.fired).toBe(true);
    expect(fresh.reason).toMatch(/over steps 0-60 while the oracle's image quality fell -0\.060/);
    // a run resumed from step 30 rebuilds the same curve, step 0 included
    const resumed = RlRunFolder.open(out, true, policy, opt);
    expect(resumed.start).toBe(30);
    expect(run(resumed, 31)).toEqual(fresh);
    policy.dispose();
  });
});
