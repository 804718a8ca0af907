/**
 * A quick end-to-end check of the compute core: a matmul's speed and a few AdamW steps on a
 * least-squares problem whose loss must fall.
 */
import { getNumThreads, manualSeed, randn, torchVersion } from './create.js';
import { AdamW } from './optim.js';
import { tidy } from './scope.js';

export interface SelfCheck {
  torchVersion: string;
  threads: number;
  matmulMs: number;
  gflops: number;
  lossBefore: number;
  lossAfter: number;
  ok: boolean;
}

/** Runs the check (about 50 ms). */
export function runSelfCheck(): SelfCheck {
  manualSeed(0);
  const n = 256;
  const { ms } = tidy(() => {
    const a = randn([n, n]);
    const b = randn([n, n]);
    a.matmul(b);
    const t0 = performance.now();
    const reps = 10;
    for (let i = 0; i < reps; i++) tidy(() => a.matmul(b).sum());
    return { ms: (performance.now() - t0) / reps };
  });
  const w = randn([8, 4]).requiresGrad_();
  const x = randn([64, 8]);
  const target = randn([64, 4]);
  const opt = new AdamW([{ name: 'w', tensor: w, decay: false }], { lr: 0.05 });
  const loss = (): number => tidy(() => x.matmul(w).sub(target).square().mean().item());
  const before = loss();
  for (let i = 0; i < 50; i++) {
    tidy(() => {
      const l = x.matmul(w).sub(target).square().mean();
      l.backward();
    });
    opt.step();
    opt.zeroGrad();
  }
  const after = loss();
  opt.dispose();
  for (const t of [w, x, target]) t.dispose();
  return { torchVersion: torchVersion(), threads: getNumThreads(), matmulMs: ms, gflops: (2 * n ** 3) / (ms * 1e6), lossBefore: before, lossAfter: after, ok: after < before * 0.9 };
}
