/**
 * AdamW with decoupled weight decay, global gradient-norm clipping and learning-rate
 * schedules. The update runs in one native call; state tensors live here so checkpoints can
 * save and restore them exactly (`state()` / `loadState()`).
 */
import { CheckpointError, ConfigError } from '../errors.js';
import { zeros } from './create.js';
import { native } from './native.js';
import { keep } from './scope.js';
import type { Tensor } from './tensor.js';

/** AdamW hyper-parameters (defaults follow torch.optim.AdamW). */
export interface AdamWConfig {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
}

export const DEFAULT_ADAMW_CONFIG: AdamWConfig = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };

/** A named parameter (name used by checkpoints). */
export interface NamedParam {
  readonly name: string;
  readonly tensor: Tensor;
  /** Parameters such as norms and biases usually skip weight decay. */
  readonly decay: boolean;
}

/**
 * AdamW over a list of parameters. Parameters with `decay: false` get no weight decay.
 * @example const opt = new AdamW(model.namedParameters(), { lr: 3e-4 }); loss.backward(); opt.step(); opt.zeroGrad();
 */
export class AdamW {
  readonly config: AdamWConfig;
  stepCount = 0;
  private readonly decayed: Tensor[] = [];
  private readonly plain: Tensor[] = [];
  private readonly m = new Map<Tensor, Tensor>();
  private readonly v = new Map<Tensor, Tensor>();
  private readonly names: Map<Tensor, string>;

  constructor(params: readonly NamedParam[], config: Partial<AdamWConfig> = {}) {
    for (const k of Object.keys(config)) {
      if (!(k in DEFAULT_ADAMW_CONFIG)) throw new ConfigError(`AdamW: unknown option '${k}' (known: ${Object.keys(DEFAULT_ADAMW_CONFIG).join(', ')})`);
    }
    this.config = { ...DEFAULT_ADAMW_CONFIG, ...config };
    this.names = new Map(params.map((p) => [p.tensor, p.name]));
    for (const p of params) {
      (p.decay ? this.decayed : this.plain).push(p.tensor);
      this.m.set(p.tensor, keep(zeros(p.tensor.shape, p.tensor.dtype)));
      this.v.set(p.tensor, keep(zeros(p.tensor.shape, p.tensor.dtype)));
    }
  }

  /** All parameters this optimizer updates. */
  get params(): Tensor[] {
    return [...this.decayed, ...this.plain];
  }

  /** One update with learning rate `lr` (defaults to the configured one). */
  step(lr = this.config.lr): void {
    this.stepCount++;
    const { beta1, beta2, eps, weightDecay } = this.config;
    const run = (ps: Tensor[], wd: number): void => {
      if (ps.length === 0) return;
      native.adamwStep(ps.map((p) => p.h), ps.map((p) => this.m.get(p)!.h), ps.map((p) => this.v.get(p)!.h), this.stepCount, lr, beta1, beta2, eps, wd);
    };
    run(this.decayed, weightDecay);
    run(this.plain, 0);
  }

  /** Drops every parameter's gradient (set to none). */
  zeroGrad(): void {
    native.zeroGrad(this.params.map((p) => p.h));
  }

  /** Moment tensors by parameter name, plus the step count, for checkpoints. */
  state(): { step: number; tensors: Map<string, Tensor> } {
    const tensors = new Map<string, Tensor>();
    for (const [p, name] of this.names) {
      tensors.set(`${name}.exp_avg`, this.m.get(p)!);
      tensors.set(`${name}.exp_avg_sq`, this.v.get(p)!);
    }
    return { step: this.stepCount, tensors };
  }

  /** Restores what `state()` saved; every moment must be present with the right shape. */
  loadState(step: number, tensors: ReadonlyMap<string, Tensor>): void {
    for (const [p, name] of this.names) {
      for (const [suffix, dst] of [['exp_avg', this.m.get(p)!], ['exp_avg_sq', this.v.get(p)!]] as const) {
        const src = tensors.get(`${name}.${suffix}`);
        if (!src) throw new CheckpointError(`optimizer state has no '${name}.${suffix}'`);
        if (src.shape.join(',') !== dst.shape.join(',')) {
          throw new CheckpointError(`optimizer state '${name}.${suffix}' has shape [${src.shape.join(', ')}], expected [${dst.shape.join(', ')}]`);
        }
        native.copy_(dst.h, src.h);
      }
    }
    this.stepCount = step;
  }

  /** Frees the moment tensors. */
  dispose(): void {
    for (const t of this.m.values()) t.dispose();
    for (const t of this.v.values()) t.dispose();
  }
}

/** Scales gradients so their global L2 norm is at most `maxNorm`; returns the norm before. */
export function clipGradNorm(params: readonly Tensor[], maxNorm: number): number {
  return native.clipGradNorm(params.map((p) => p.h), maxNorm);
}

/** Linear warmup then cosine decay to `minRatio * peak`. */
export interface CosineSchedule {
  readonly peakLr: number;
  readonly warmupSteps: number;
  readonly totalSteps: number;
  readonly minRatio: number;
}

/**
 * Learning rate at `step` (0-based) under warmup + cosine decay.
 * @example lrAt({ peakLr: 1e-3, warmupSteps: 100, totalSteps: 1000, minRatio: 0.1 }, 50) // 5e-4
 */
export function lrAt(s: CosineSchedule, step: number): number {
  if (s.warmupSteps > 0 && step < s.warmupSteps) return (s.peakLr * (step + 1)) / s.warmupSteps;
  const span = Math.max(1, s.totalSteps - s.warmupSteps);
  const progress = Math.min(1, (step - s.warmupSteps) / span);
  const cosine = 0.5 * (1 + Math.cos(Math.PI * progress));
  return s.peakLr * (s.minRatio + (1 - s.minRatio) * cosine);
}
