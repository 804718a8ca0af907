/**
 * Best-of-N against N = 1 on the oracle: with candidates whose oracle verdicts are known
 * (rendered scenes that satisfy the prompt, blank images that do not), an oracle selector
 * reaches the ceiling, a tournament with a pairwise stand-in picks what it prefers, the paired
 * gains and their bootstrap intervals come out as counted by hand.
 */
import { describe, expect, it } from 'vitest';
import { blankImage, type RgbImage } from '../data/image.js';
import { createOracleRewardModel } from '../rewards/oracle.js';
import type { RewardModel } from '../rewards/types.js';
import { Rng } from '../util/rng.js';
import { samplePrompts } from '../world/prompts.js';
import { render } from '../world/render.js';
import { sceneFor } from '../world/scene.js';
import { bestOfNOracle, pairedBootstrap } from './best-of-n-oracle.js';

const metas = samplePrompts({ n: 6, seed: 3, tags: ['single_object'] });
const rng = new Rng(1);
const good = metas.map((m) => render(sceneFor(m, rng), { size: 32 }));
const blank = blankImage(32, 32, [128, 128, 128]);
// prompt i: the good image at index i % 4 among 4 candidates (first sample right for prompts 0 and 4)
const candidates: RgbImage[][] = metas.map((_, i) => Array.from({ length: 4 }, (_, j) => (j === i % 4 ? good[i]! : blank)));

/** Prefers the blank image (a "hacked" pairwise judge): P(candidate beats reference) = 0.9 when the candidate is blank. */
const likesBlank: RewardModel = {
  id: 'likes-blank',
  mode: 'pairwise',
  score: (qs) =>
    Promise.resolve(
      qs.map((q) => {
        const c = q.candidate.kind === 'image' && q.candidate.image === blank;
        const r = q.reference?.kind === 'image' && q.reference.image === blank;
        const p = c === r ? 0.5 : c ? 0.9 : 0.1;
        return { reward: p, pYesVocab: p, logitYes: 0, logitNo: 0, ms: 0 };
      }),
    ),
};

describe('Best-of-N on the oracle', () => {
  it('counts N = 1, the mean of N, the ceiling and each selector on the same candidates', async () => {
    const r = await bestOfNOracle(metas, candidates, [
      { label: 'oracle', model: createOracleRewardModel(), method: 'pointwise' },
      { label: 'blank lover', model: likesBlank, method: 'knockout' },
    ], { bootstrap: 2000 });
    expect(r.prompts).toBe(6);
    expect(r.n).toBe(4);
    expect(r.first.k).toBe(2);
    expect(r.meanOfN.mean).toBeCloseTo(0.25);
    expect(r.ceiling.k).toBe(6);
    const [oracle, blankLover] = r.arms;
    expect(oracle!.picked.k).toBe(6);
    expect(oracle!.vsFirst.mean).toBeCloseTo(4 / 6);
    expect(oracle!.vsMean.mean).toBeCloseTo(0.75);
    expect(oracle!.vsMean.lo).toBeCloseTo(0.75);
    expect(oracle!.queries).toBe(24);
    expect(blankLover!.picked.k).toBe(0);
    expect(blankLover!.vsFirst.mean).toBeCloseTo(-2 / 6);
    expect(blankLover!.vsFirst.hi).toBeLessThanOrEqual(0);
    expect(blankLover!.queries).toBe(6 * 2 * 3);
    expect(r.byTag.single_object!.arms.oracle).toBe(1);
  });

  it('bootstraps a paired mean', () => {
    const g = pairedBootstrap([1, 0, 0, 1, 1, 0, 1, 1], 4000, 2);
    expect(g.mean).toBeCloseTo(0.625);
    expect(g.lo).toBeLessThan(0.625);
    expect(g.hi).toBeGreaterThan(0.625);
    expect(g.lo).toBeGreaterThanOrEqual(0);
    expect(pairedBootstrap([0.5, 0.5], 100).lo).toBe(0.5);
  });

  it('refuses mismatched inputs', async () => {
    await expect(bestOfNOracle(metas, candidates.slice(1), [])).rejects.toThrow(/6 prompts but 5/);
    await expect(bestOfNOracle(metas.slice(0, 2), [[blank], [blank, blank]], [])).rejects.toThrow(/same number/);
  });
});
