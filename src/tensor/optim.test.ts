/**
 * AdamW against the textbook update, clipping, and the learning-rate schedule.
 */
import { describe, expect, test } from 'vitest';
import { AdamW, clipGradNorm, lrAt, tensor } from './index.js';

describe('AdamW', () => {
  test('one step equals the decoupled-weight-decay update computed by hand', () => {
    const p = tensor([1, -2], [2], 'float64').requiresGrad_();
    const opt = new AdamW([{ name: 'p', tensor: p, decay: true }], { lr: 0.1, weightDecay: 0.5 });
    p.mul(tensor([3, 4], [2], 'float64')).sum().backward(); // grad = [3, 4]
    opt.step();
    // m = 0.1 g, v = 0.001 g^2; mhat = g, vhat = g^2; p <- p (1 - lr wd) - lr * g / (|g| + eps)
    const expected = [1 * (1 - 0.05) - 0.1 * (3 / (3 + 1e-8)), -2 * (1 - 0.05) - 0.1 * (4 / (4 + 1e-8))];
    const got = p.toList();
    expect(got[0]).toBeCloseTo(expected[0]!, 10);
    expect(got[1]).toBeCloseTo(expected[1]!, 10);
  });
  test('parameters without decay are not shrunk; zeroGrad clears gradients', () => {
    const p = tensor([1], [1], 'float64').requiresGrad_();
    const opt = new AdamW([{ name: 'p', tensor: p, decay: false }], { lr: 0.1, weightDecay: 0.9 });
    p.mul(0).sum().backward(); // zero gradient: only decay could move it
    opt.step();
    expect(p.toList()[0]).toBeCloseTo(1, 12);
    opt.zeroGrad();
    expect(p.grad).toBeNull();
  });
  test('state() and loadState() restore the moments exactly', () => {
    const p = tensor([1, 2], [2]).requiresGrad_();
    const opt = new AdamW([{ name: 'w', tensor: p, decay: true }]);
    p.square().sum().backward();
    opt.step();
    const s = opt.state();
    const q = tensor([1, 2], [2]).requiresGrad_();
    const opt2 = new AdamW([{ name: 'w', tensor: q, decay: true }]);
    opt2.loadState(s.step, s.tensors);
    expect(opt2.stepCount).toBe(1);
    expect(opt2.state().tensors.get('w.exp_avg')!.toList()).toEqual(s.tensors.get('w.exp_avg')!.toList());
  });
  test('unknown options are errors', () => {
    expect(() => new AdamW([], { lr: 1, momentum: 0.9 } as never)).toThrow(/unknown option 'momentum'/);
  });
});

describe('clipping and schedule', () => {
  test('clipGradNorm scales the global norm down to maxNorm and reports the original', () => {
    const a = tensor([0, 0], [2]).requiresGrad_();
    const b = tensor([0], [1]).requiresGrad_();
    a.mul(tensor([3, 0], [2])).sum().add(b.mul(4).sum()).backward(); // grads [3, 0] and [4]: norm 5
    expect(clipGradNorm([a, b], 1)).toBeCloseTo(5, 5);
    expect(a.grad!.toList()[0]).toBeCloseTo(0.6, 5);
    expect(b.grad!.toList()[0]).toBeCloseTo(0.8, 5);
  });
  test('warmup then cosine to the floor', () => {
    const s = { peakLr: 1, warmupSteps: 10, totalSteps: 110, minRatio: 0.1 };
    expect(lrAt(s, 0)).toBeCloseTo(0.1);
    expect(lrAt(s, 9)).toBeCloseTo(1);
    expect(lrAt(s, 60)).toBeCloseTo(0.55);
    expect(lrAt(s, 110)).toBeCloseTo(0.1);
  });
});
