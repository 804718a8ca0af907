import { describe, expect, it } from 'vitest';
import { blankImage, imageMedia, type Media } from '../data/image.js';
import { sigmoid } from '../rewards/logprobs.js';
import type { RewardModel, RewardQuery, RewardResult } from '../rewards/types.js';
import { bestOfN } from './best-of-n.js';
import { selectBest } from './select.js';
import { chooseReference, knockout, roundRobin, winCounts } from './tournament.js';

/** Candidate quality is the first red byte / 50. */
const quality = (m: Media): number => (m.kind === 'image' ? m.image.data[0]! / 50 : 0);
const media = (q: number): Media => imageMedia(blankImage(2, 2, [q, 0, 0]));
const res = (p: number): RewardResult => ({ reward: p, pYesVocab: p, logitYes: Math.log(p), logitNo: Math.log(1 - p), ms: 0 });

function pairwiseFake(bias = 0): RewardModel & { calls: number } {
  const m = {
    id: 'fake-pairwise',
    mode: 'pairwise' as const,
    calls: 0,
    score(qs: readonly RewardQuery[]) {
      m.calls += qs.length;
      return Promise.resolve(qs.map((q) => res(sigmoid(quality(q.candidate) - quality(q.reference!) + bias))));
    },
  };
  return m;
}
const pointwiseFake: RewardModel = { id: 'fake-pointwise', mode: 'pointwise', score: (qs) => Promise.resolve(qs.map((q) => res(sigmoid(quality(q.candidate) - 2)))) };

const values = [40, 170, 90, 250, 10, 120];
const req = { task: 't2i' as const, prompt: 'a red square', candidates: values.map(media) };
const order = values.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]).map(([, i]) => i);

describe('round robin', () => {
  it('ranks by wins and fits Bradley-Terry strengths that follow quality', async () => {
    const m = pairwiseFake(0.7);
    const rr = await roundRobin(m, req);
    expect(rr.queries).toBe(30);
    expect(m.calls).toBe(30);
    expect(rr.ranking.map((r) => r.index)).toEqual(order);
    expect(rr.wins[3]).toBe(5);
    // Debiased probabilities are complementary.
    expect(rr.probabilities[0]![1]! + rr.probabilities[1]![0]!).toBeCloseTo(1, 12);
    const byStrength = rr.strengths.map((s, i) => [s, i] as const).sort((a, b) => b[0] - a[0]).map(([, i]) => i);
    expect(byStrength).toEqual(order);
    // Pairs closer in quality than the bias (0.6 apart: 90 vs 120, 40 vs 10) flip with the order.
    expect(rr.positionConsistency).toBeCloseTo(13 / 15, 12);
    expect((await roundRobin(pairwiseFake(0), req)).positionConsistency).toBe(1);
  });
  it('reports position inconsistency under a strong bias', async () => {
    const rr = await roundRobin(pairwiseFake(6), req);
    expect(rr.positionConsistency).toBeLessThan(0.5);
  });
});

describe('knockout', () => {
  it('finds the best of a transitive field with 2(N-1) queries and byes', async () => {
    const m = pairwiseFake(0.3);
    const ko = await knockout(m, { ...req, candidates: [...req.candidates, media(200)] });
    expect(ko.winner).toBe(3);
    expect(ko.queries).toBe(12);
    expect(m.calls).toBe(12);
    expect(ko.ranking[0]).toEqual({ index: 3, score: 3 });
    expect(ko.matches[0]).toMatchObject({ round: 1, a: 0, b: 1, winner: 1 });
  });
  it('handles a single candidate', async () => {
    expect((await knockout(pairwiseFake(), { ...req, candidates: [media(1)] })).winner).toBe(0);
  });
});

describe('Best-of-N and reference choice', () => {
  it('ranks pointwise rewards', async () => {
    const r = await bestOfN(pointwiseFake, req);
    expect(r.best).toBe(3);
    expect(r.ranking.map((x) => x.index)).toEqual(order);
  });
  it('uses a fixed reference with a pairwise model, optionally debiased', async () => {
    const r = await bestOfN(pairwiseFake(1), { ...req, reference: media(100) }, { debias: true });
    expect(r.best).toBe(3);
    expect(r.queries).toBe(12);
    await expect(bestOfN(pairwiseFake(), req)).rejects.toThrow(/pairwise model: pointwise Best-of-N needs a fixed reference \(--reference\)/);
  });
  it('chooses the reference as the top of the pairwise ranking', async () => {
    expect(await chooseReference(pairwiseFake(), req)).toEqual({ index: 3, method: 'round-robin' });
    expect(await chooseReference(pairwiseFake(), req, 4)).toEqual({ index: 3, method: 'knockout' });
  });
  it('explains method/model mismatches', async () => {
    await expect(roundRobin(pointwiseFake, req)).rejects.toThrow(/pointwise model; use --method pointwise/);
    await expect(selectBest(pairwiseFake(), { ...req, candidates: [] }, 'knockout')).rejects.toThrow(/at least 1 candidate/);
  });
  it('selectBest dispatches by method', async () => {
    expect((await selectBest(pairwiseFake(), req, 'round-robin')).best).toBe(3);
    expect((await selectBest(pairwiseFake(), req, 'knockout')).best).toBe(3);
    expect((await selectBest(pointwiseFake, req, 'pointwise')).rewards).toHaveLength(6);
  });
});

describe('winCounts', () => {
  it('counts wins and half-wins for ties', () => {
    expect(winCounts([[null, 0.7, 0.5], [0.3, null, 0.9], [0.5, 0.1, null]])).toEqual([1.5, 1, 0.5]);
  });
});
