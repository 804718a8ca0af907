/**
 * The shipped reward models (models/rd-rm-tiny from scripts/train-shipped-rm.sh, the pairwise
 * model; models/rd-rm-verifier from scripts/train-shipped-verifier.sh, the pointwise verifier)
 * still score what their recorded evaluations say: each is re-evaluated on the same seeded world
 * pairs (eval-check.json, written by scripts/eval-check.sh) and must match the recorded
 * accuracy and beat the prompt-blind floor of those pairs where its README says it does
 * (rd-rm-tiny: in domain only; out of domain its 100-pair figure, 0.57, is within noise of that
 * floor, 0.595; its 500-pair figures are 57.2% vs 52.3%).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VlmScorer } from '../../src/models/vlm/scorer.js';
import { loadVlmCheckpoint } from '../../src/rewards/generative.js';
import { evaluatePairs } from '../../src/train/reward/evaluate.js';
import { worldPairs } from '../../src/train/reward/sources.js';
import { floorOf } from '../../src/world/floor.js';

const MODELS: { name: string; beatsFloor: readonly ('id' | 'ood')[] }[] = [
  { name: 'rd-rm-tiny', beatsFloor: ['id'] },
  { name: 'rd-rm-verifier', beatsFloor: ['id', 'ood'] },
];

interface EvalCheck {
  split: 'id' | 'ood';
  pairs: number;
  seed: number;
  criteria: string;
  accuracy: number;
}

for (const { name, beatsFloor } of MODELS) {
  const dir = join(import.meta.dirname, '..', '..', 'models', name);
  const check = join(dir, 'eval-check.json');
  describe.skipIf(!existsSync(check))(`shipped reward model models/${name}`, () => {
    const checks = existsSync(check) ? (JSON.parse(readFileSync(check, 'utf8')) as EvalCheck[]) : [];
    for (const c of checks) {
      it(`re-evaluates to its recorded ${c.split} accuracy on ${c.pairs} pairs`, () => {
        const { model, paradigm, context } = loadVlmCheckpoint(dir);
        const pairs = worldPairs({ task: 't2i', criteria: [c.criteria as 'alignment'], split: c.split, n: c.pairs, seed: c.seed });
        const e = evaluatePairs(new VlmScorer(model, paradigm, context), pairs);
        expect(e.n).toBe(c.pairs);
        expect(Math.abs(e.accuracy - c.accuracy)).toBeLessThanOrEqual(1 / c.pairs + 1e-9);
        if (beatsFloor.includes(c.split)) expect(e.accuracy).toBeGreaterThan(floorOf(pairs).accuracy);
        model.dispose();
      }, 120_000);
    }
  });
}
