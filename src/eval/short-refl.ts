/**
 * A short ReFL run against a local generative reward model, for the study and the demo: the
 * policy starts from a generator folder, each step draws `batch` prompts of a pool in turn,
 * and the pairwise reward compares each sample with the prompt's reference image. The
 * per-sample rewards of every step's batch are recorded (mean and standard deviation), so
 * that late-RL reward spread can be measured without extra scoring.
 */
import type { RgbImage } from '../data/image.js';
import { InputError } from '../errors.js';
import { imagesToTensor, loadGenerator, type FlowUNet } from '../models/generator/index.js';
import type { LocalVlmRewardModel } from '../rewards/generative.js';
import { AdamW, noGrad, type Tensor } from '../tensor/index.js';
import { FrozenVlmReward, reflConfig, reflStep, type DifferentiableReward } from '../train/refl/index.js';

/** One ReFL step's batch rewards. */
export interface ReflStepRow {
  readonly step: number;
  readonly rewardMean: number;
  readonly rewardStd: number;
}

export interface ShortReflJob {
  /** Generator folder the policy starts from. */
  readonly generator: string;
  readonly rm: LocalVlmRewardModel;
  readonly prompts: readonly string[];
  /** One reference image per prompt (pairwise models); ignored by pointwise ones. */
  readonly references?: readonly RgbImage[];
  readonly steps: number;
  readonly batch: number;
  readonly sampleSteps: number;
  readonly lr: number;
  readonly seed: number;
  readonly onStep?: (row: ReflStepRow) => void;
}

/** ReFL takes its gradient step in the last quarter of the sampler's steps (ImageReward). */
const LATE_STOP_SHARE = 0.75;

function meanStd(xs: readonly number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const v = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(1, xs.length);
  return { mean, std: Math.sqrt(v) };
}

/** Wraps a reward so that every call's per-sample values are kept (detached). */
function recording(inner: DifferentiableReward, sink: number[][]): DifferentiableReward {
  return {
    id: inner.id,
    mode: inner.mode,
    rewardTensor(images: Tensor, prompts: readonly string[], references?: Tensor): Tensor {
      const r = inner.rewardTensor(images, prompts, references);
      sink.push(noGrad(() => r.detach().toList()));
      return r;
    },
  };
}

/**
 * Runs ReFL for `steps` steps; returns the trained policy (the caller disposes it) and the rows.
 * @example const { policy, rows } = runShortRefl({ generator: 'models/rd-gen-t2i', rm, prompts, references, steps: 20, batch: 4, sampleSteps: 16, lr: 2e-5, seed: 1 });
 */
export function runShortRefl(job: ShortReflJob): { policy: FlowUNet; rows: ReflStepRow[] } {
  if (job.prompts.length === 0) throw new InputError('ReFL needs at least one prompt');
  const pairwise = job.rm.mode === 'pairwise';
  if (pairwise && job.references?.length !== job.prompts.length) {
    throw new InputError(`a pairwise reward needs one reference per prompt: ${job.prompts.length} prompts, ${job.references?.length ?? 0} references`);
  }
  const cfg = reflConfig({ sampleSteps: job.sampleSteps, stopMin: Math.min(job.sampleSteps - 1, Math.floor(job.sampleSteps * LATE_STOP_SHARE)), lr: job.lr, seed: job.seed });
  const policy = loadGenerator(job.generator);
  const opt = new AdamW(policy.namedParameters(), { lr: cfg.lr, weightDecay: 0 });
  const sink: number[][] = [];
  const reward = recording(FrozenVlmReward.fromRewardModel(job.rm), sink);
  const rows: ReflStepRow[] = [];
  try {
    for (let step = 0; step < job.steps; step++) {
      const idx = Array.from({ length: job.batch }, (_, k) => (step * job.batch + k) % job.prompts.length);
      const prompts = idx.map((i) => job.prompts[i]!);
      // references in [0, 1] without gradients, as the DifferentiableReward contract asks
      const refs = pairwise ? noGrad(() => imagesToTensor(idx.map((i) => job.references![i]!)).add(1).mul(0.5)) : undefined;
      try {
        reflStep(policy, opt, reward, prompts, step, cfg, refs);
      } finally {
        refs?.dispose();
      }
      const { mean, std } = meanStd(sink.pop() ?? []);
      const row = { step: step + 1, rewardMean: mean, rewardStd: std };
      rows.push(row);
      job.onStep?.(row);
    }
  } finally {
    opt.dispose();
  }
  policy.eval();
  return { policy, rows };
}

/**
 * Mean batch reward std over the last `fraction` of the steps (at least one step).
 * @example lateRewardStd(rows, 0.3)
 */
export function lateRewardStd(rows: readonly ReflStepRow[], fraction: number): number {
  if (rows.length === 0) return 0;
  const k = Math.max(1, Math.round(rows.length * fraction));
  return rows.slice(-k).reduce((s, r) => s + r.rewardStd, 0) / k;
}
