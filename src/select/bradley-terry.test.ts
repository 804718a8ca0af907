import { describe, expect, it } from 'vitest';
import { fitBradleyTerry } from './bradley-terry.js';

const sig = (x: number): number => 1 / (1 + Math.exp(-x));

describe('fitBradleyTerry', () => {
  it('recovers the strengths that generated the probabilities exactly', () => {
    const s = [1.2, -0.3, 0.5, -1.4];
    const p = s.map((a, i) => s.map((b, j) => (i === j ? null : sig(a - b))));
    const fit = fitBradleyTerry(p, { prior: 0 });
    expect(fit.converged).toBe(true);
    fit.strengths.forEach((v, i) => expect(v).toBeCloseTo(s[i]!, 6)); // s already has mean 0
  });
  it('fits the two-player case in closed form', () => {
    const fit = fitBradleyTerry([[null, 0.73], [0.27, null]], { prior: 0 });
    expect(fit.strengths[0]! - fit.strengths[1]!).toBeCloseTo(Math.log(0.73 / 0.27), 8);
  });
  it('fills a one-sided pair with the complement, leaves uncompared players at 0', () => {
    const fit = fitBradleyTerry([[null, 0.8, null], [null, null, null], [null, null, null]], { prior: 0 });
    expect(fit.strengths[0]! - fit.strengths[1]!).toBeCloseTo(Math.log(4), 8);
    expect(fit.strengths[2]).toBe(0);
  });
  it('keeps a perfect winner finite with the default prior', () => {
    const fit = fitBradleyTerry([[null, 1, 1], [0, null, 0.5], [0, 0.5, null]]);
    expect(fit.converged).toBe(true);
    expect(Number.isFinite(fit.strengths[0]!)).toBe(true);
    expect(fit.strengths[0]).toBeGreaterThan(fit.strengths[1]! + 3);
    expect(fit.strengths[1]).toBeCloseTo(fit.strengths[2]!, 8);
  });
  it('rejects bad input', () => {
    expect(() => fitBradleyTerry([[null, 1.5], [null, null]])).toThrow(/P\[0\]\[1\] = 1.5 is not a probability/);
    expect(() => fitBradleyTerry([[null], [null, null]])).toThrow(/row 0 has 1 entries, expected 2/);
  });
});
