/**
 * Gradients of every differentiable op agree with central finite differences in float64.
 */
import { describe, expect, test } from 'vitest';
import { cat, F, manualSeed, randn, stack, tensor, tidy, where, type Tensor } from './index.js';

const EPS = 1e-6;
const TOL = 1e-5;

/** Max |analytic - numeric| over every element of every input, for sum(f(inputs) * w). */
function gradcheck(f: (xs: Tensor[]) => Tensor, shapes: number[][], opts: { positive?: boolean } = {}): number {
  return tidy(() => {
    manualSeed(7);
    const base = shapes.map((s) => {
      const r = randn(s, 'float64');
      return opts.positive ? r.abs().add(0.5) : r;
    });
    const values = base.map((b) => Float64Array.from(b.toArray()));
    // a fixed random weighting makes the scalar objective sensitive to every output element
    const out0 = f(base.map((b) => b.clone()));
    const w = randn(out0.shape, 'float64');
    const objective = (xs: Tensor[]): Tensor => f(xs).mul(w).sum();
    const inputs = values.map((v, i) => tensor(v, shapes[i], 'float64').requiresGrad_());
    objective(inputs).backward();
    let worst = 0;
    values.forEach((v, i) => {
      const analytic = inputs[i]!.grad!.toArray();
      for (let j = 0; j < v.length; j++) {
        const probe = (delta: number): number =>
          tidy(() => {
            const xs = values.map((u, k) => {
              const c = Float64Array.from(u);
              if (k === i) c[j] = c[j]! + delta;
              return tensor(c, shapes[k], 'float64');
            });
            return objective(xs).item();
          });
        const numeric = (probe(EPS) - probe(-EPS)) / (2 * EPS);
        worst = Math.max(worst, Math.abs(numeric - analytic[j]!));
      }
    });
    return worst;
  });
}

const cases: [string, (xs: Tensor[]) => Tensor, number[][], { positive?: boolean }?][] = [
  ['add', ([a, b]) => a!.add(b!), [[2, 3], [3]]],
  ['sub', ([a, b]) => a!.sub(b!), [[2, 3], [2, 3]]],
  ['mul', ([a, b]) => a!.mul(b!), [[2, 3], [2, 1]]],
  ['div', ([a, b]) => a!.div(b!), [[2, 3], [2, 3]], { positive: true }],
  ['pow', ([a]) => a!.pow(3), [[4]]],
  ['exp', ([a]) => a!.exp(), [[5]]],
  ['log', ([a]) => a!.log(), [[5]], { positive: true }],
  ['sqrt', ([a]) => a!.sqrt(), [[5]], { positive: true }],
  ['rsqrt', ([a]) => a!.rsqrt(), [[5]], { positive: true }],
  ['tanh', ([a]) => a!.tanh(), [[5]]],
  ['sigmoid', ([a]) => a!.sigmoid(), [[5]]],
  ['relu', ([a]) => a!.relu(), [[6]]],
  ['gelu', ([a]) => a!.gelu(), [[6]]],
  ['gelu tanh', ([a]) => a!.gelu('tanh'), [[6]]],
  ['silu', ([a]) => a!.silu(), [[6]]],
  ['softplus', ([a]) => a!.softplus(), [[6]]],
  ['logSigmoid', ([a]) => a!.logSigmoid(), [[6]]],
  ['square', ([a]) => a!.square(), [[6]]],
  ['sin cos', ([a]) => a!.sin().add(a!.cos()), [[6]]],
  ['clamp', ([a]) => a!.clamp(-0.5, 0.5), [[6]]],
  ['maximum', ([a, b]) => a!.maximum(b!), [[6], [6]]],
  ['sum dims', ([a]) => a!.sum([1], true), [[2, 3, 2]]],
  ['mean', ([a]) => a!.mean(0), [[3, 2]]],
  ['logsumexp', ([a]) => a!.logsumexp(-1), [[2, 4]]],
  ['variance', ([a]) => a!.variance(-1), [[2, 4]]],
  ['max', ([a]) => a!.max(-1), [[2, 4]]],
  ['matmul', ([a, b]) => a!.matmul(b!), [[2, 3], [3, 4]]],
  ['bmm', ([a, b]) => a!.bmm(b!), [[2, 2, 3], [2, 3, 2]]],
  ['linear', ([x, w, b]) => F.linear(x!, w!, b), [[2, 3], [4, 3], [4]]],
  ['conv2d', ([x, w, b]) => F.conv2d(x!, w!, b, { padding: 1, stride: 2 }), [[1, 2, 5, 5], [3, 2, 3, 3], [3]]],
  ['convTranspose2d', ([x, w, b]) => F.convTranspose2d(x!, w!, b, { stride: 2, padding: 1, outputPadding: 1 }), [[1, 2, 3, 3], [2, 3, 3, 3], [3]]],
  ['layerNorm', ([x, w, b]) => F.layerNorm(x!, [4], w, b), [[3, 4], [4], [4]]],
  ['groupNorm', ([x, w, b]) => F.groupNorm(x!, 2, w, b), [[2, 4, 2, 2], [4], [4]]],
  ['softmax', ([a]) => a!.softmax(-1), [[2, 5]]],
  ['logSoftmax', ([a]) => a!.logSoftmax(-1), [[2, 5]]],
  ['embedding', ([w]) => F.embedding(w!, tensor([0, 2, 2, 1], [4], 'int64')), [[3, 4]]],
  ['crossEntropy', ([l]) => F.crossEntropy(l!, tensor([1, 0, 3], [3], 'int64')), [[3, 4]]],
  ['crossEntropy ignore + smoothing', ([l]) => F.crossEntropy(l!, tensor([1, -100, 3], [3], 'int64'), { labelSmoothing: 0.1 }), [[3, 4]]],
  ['bceWithLogits', ([l]) => F.bceWithLogits(l!, tensor([1, 0, 1, 0], [4], 'float64')), [[4]]],
  ['mseLoss', ([a, b]) => F.mseLoss(a!, b!), [[4], [4]]],
  ['reshape permute transpose', ([a]) => a!.reshape(3, 2, 2).permute(2, 0, 1).transpose(0, 1), [[2, 6]]],
  ['slice select', ([a]) => a!.slice(1, 1, 4, 2).select(0, 1), [[3, 5]]],
  ['cat stack', ([a, b]) => stack([cat([a!, b!], 0), cat([b!, a!], 0)], 1), [[2, 3], [2, 3]]],
  ['indexSelect gather index', ([a]) => a!.indexSelect(0, tensor([2, 0], [2], 'int64')).gather(1, tensor([[1, 1], [0, 2]], [2, 2], 'int64')).add(a!.index([tensor([0, 1], [2], 'int64'), tensor([2, 2], [2], 'int64')]).unsqueeze(1)), [[3, 3]]],
  ['expand repeat flip', ([a]) => a!.unsqueeze(0).expand(2, 3).repeat(1, 2).flip(1), [[3]]],
  ['pad', ([a]) => a!.pad([1, 2], 0.5), [[2, 3]]],
  ['maskedFill where', ([a, b]) => where(tensor([1, 0, 1], [3], 'bool'), a!, b!).add(a!.maskedFill(tensor([0, 1, 0], [3], 'bool'), 0)), [[3], [3]]],
  ['interpolate bilinear', ([a]) => F.interpolate(a!, [4, 6], 'bilinear'), [[1, 1, 2, 3]]],
  ['interpolate nearest', ([a]) => F.interpolate(a!, [4, 6], 'nearest'), [[1, 1, 2, 3]]],
  ['avgPool2d', ([a]) => F.avgPool2d(a!, 2), [[1, 2, 4, 4]]],
  ['attention', ([q, k, v]) => F.scaledDotProductAttention(q!, k!, v!, F.causalMask(3).double()), [[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]]],
  ['tril', ([a]) => a!.tril(), [[3, 3]]],
  ['cumsum', ([a]) => a!.cumsum(1), [[2, 3]]],
];

describe('gradients match finite differences (float64)', () => {
  for (const [name, f, shapes, opts] of cases) {
    test(name, () => {
      expect(gradcheck(f, shapes, opts)).toBeLessThan(TOL);
    });
  }
  test('dropout scales kept units by 1/(1-p) and passes gradient through them', () => {
    manualSeed(1);
    const x = tensor(new Float64Array(1000).fill(1), [1000], 'float64').requiresGrad_();
    const y = F.dropout(x, 0.25, true);
    y.sum().backward();
    const g = x.grad!.toArray();
    const out = y.toArray();
    for (let i = 0; i < 1000; i++) expect(g[i]).toBeCloseTo(out[i]!, 12);
    const kept = Array.from(out).filter((v) => v > 0).length;
    expect(kept).toBeGreaterThan(680);
    expect(kept).toBeLessThan(820);
    expect(F.dropout(x, 0.25, false).toList()).toEqual(new Array(1000).fill(1));
  });
});
