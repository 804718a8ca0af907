/**
 * Inference-time search over noise paths: start N trajectories, and at a few intermediate
 * steps predict each one's clean image (x0 = x_t - t v), score the predictions with a
 * pointwise reward model, keep the best K, re-noise their predictions back to the current
 * time with fresh noise (N / K children each) and continue. The final images are scored and
 * the best returned. Compute is counted in network evaluations (NFE) so that it can be
 * compared with Best-of-N at equal cost.
 */
import { imageMedia, type RgbImage } from '../data/image.js';
import { InputError } from '../errors.js';
import { guidedText, guidedVelocity, tensorToImages, timeGrid, type FlowUNet } from '../models/generator/index.js';
import type { RewardModel } from '../rewards/types.js';
import { cat, keep, manualSeed, noGrad, randn, tensor, tidy, type Tensor } from '../tensor/index.js';
import type { GenevalMetadata } from '../world/types.js';

export interface PathSearchOptions {
  /** Trajectories alive at each stage. */
  readonly n: number;
  /** Survivors at each pruning point (n must be a multiple of keep). */
  readonly keep: number;
  /** Step indices (0 < i < steps) at which to prune. */
  readonly pruneAt: readonly number[];
  readonly steps: number;
  readonly guidance: number;
  readonly seed: number;
}

export interface PathSearchResult {
  readonly best: RgbImage;
  readonly bestReward: number;
  readonly finals: RgbImage[];
  readonly finalRewards: number[];
  /** Network evaluations spent (a guided step of one sample counts 2 when guidance != 1). */
  readonly nfe: number;
}

async function scoreX0(reward: RewardModel, x0: Tensor, meta: GenevalMetadata): Promise<number[]> {
  const imgs = tensorToImages(x0);
  const rs = await reward.score(imgs.map((im) => ({ task: 't2i', prompt: meta.prompt, candidate: imageMedia(im), metadata: meta, criteria: 'alignment' })));
  return rs.map((r) => r.reward);
}

/**
 * Searches noise paths for one prompt.
 * @example const r = await pathSearch(gen, oracle, meta, { n: 8, keep: 2, pruneAt: [6, 10], steps: 16, guidance: 2, seed: 1 });
 */
export async function pathSearch(model: FlowUNet, reward: RewardModel, meta: GenevalMetadata, o: PathSearchOptions): Promise<PathSearchResult> {
  if (o.n % o.keep !== 0 || o.keep < 1) throw new InputError(`path search: n (${o.n}) must be a positive multiple of keep (${o.keep})`);
  if (o.pruneAt.some((i) => i <= 0 || i >= o.steps)) throw new InputError(`path search: pruning steps must lie in (0, ${o.steps}), got ${o.pruneAt.join(', ')}`);
  const s = model.config.imageSize;
  const grid = timeGrid(o.steps);
  const perEval = o.guidance === 1 ? 1 : 2;
  const prompts = Array.from({ length: o.n }, () => meta.prompt);
  manualSeed(o.seed);
  const text = noGrad(() => tidy(() => guidedText(model, prompts, o.guidance)));
  let x = keep(randn([o.n, 3, s, s]));
  let nfe = 0;
  const prune = new Set(o.pruneAt);
  for (let i = 0; i < o.steps; i++) {
    if (prune.has(i)) {
      const t = grid[i]!;
      const x0 = noGrad(() => tidy(() => x.sub(guidedVelocity(model, x, t, text, o.guidance).mul(t))));
      nfe += o.n * perEval;
      const rs = await scoreX0(reward, x0, meta);
      const order = rs.map((r, j) => [r, j] as const).sort((a, b) => b[0] - a[0]).slice(0, o.keep).map(([, j]) => j);
      const next = noGrad(() =>
        tidy(() => {
          const kept = x0.indexSelect(0, tensor(order, [o.keep], 'int64')); // (K, 3, S, S)
          const parents = cat(Array.from({ length: o.n / o.keep }, () => kept), 0); // (N, 3, S, S)
          return parents.mul(1 - t).add(randn(parents.shape).mul(t));
        }),
      );
      x0.dispose();
      x.dispose();
      x = keep(next);
    }
    const prev = x;
    x = keep(noGrad(() => tidy(() => prev.add(guidedVelocity(model, prev, grid[i]!, text, o.guidance).mul(grid[i + 1]! - grid[i]!)))));
    prev.dispose();
    nfe += o.n * perEval;
  }
  const finalRewards = await scoreX0(reward, x, meta);
  const finals = tensorToImages(x);
  x.dispose();
  for (const t of [text.tokens, text.mask, text.pooled]) t.dispose();
  const b = finalRewards.indexOf(Math.max(...finalRewards));
  return { best: finals[b]!, bestReward: finalRewards[b]!, finals, finalRewards, nfe };
}
