/**
 * The run loop GRPO (train.ts) and ReFL (train/refl/run.ts) share around their different
 * update steps: the run's common options and per-step diagnostics, opening the run folder
 * (fresh, or resumed from its checkpoint with metrics.jsonl cut back to the checkpoint's step
 * and the hacking alarm's curve rebuilt from it), the held-out evaluation (the oracle's
 * GenEval-style score and the reward on held-out prompts; a pairwise reward compares the
 * policy's sample with the pretrained generator's sample for the same prompt and noise), and
 * closing a step (alarm, checkpoint, metrics line), so that a killed run resumes
 * losing only the step in flight.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RgbImage } from '../../data/image.js';
import { curvePoint, DEFAULT_ALARM, hackingAlarm, type AlarmVerdict, type CurvePoint } from '../../eval/rl-diagnostics.js';
import { saveGenerator, type FlowUNet } from '../../models/generator/index.js';
import { loadOptimizerState, loadWeights } from '../../nn/index.js';
import type { AdamW } from '../../tensor/index.js';
import { readJson } from '../../util/fs.js';
import { analyzeImage } from '../../world/oracle.js';
import type { GenevalMetadata } from '../../world/types.js';
import { evaluateGenerator, heldOutPrompts } from '../generator/evaluate.js';

/** What both trainers take besides their reward and their own config. */
export interface RlRunBase<C, M> {
  /** Pretrained generator folder (the policy's start, the drift origin, the references' sampler). */
  readonly generator: string;
  readonly prompts: readonly GenevalMetadata[];
  readonly out: string;
  readonly steps: number;
  readonly resume?: boolean;
  readonly config?: Partial<C>;
  onStep?(step: number, m: M): void;
}

/** One held-out evaluation. */
export interface RlEval {
  /** Oracle GenEval-style score with its Wilson 95% interval over n samples. */
  readonly score: number;
  readonly lo: number;
  readonly hi: number;
  readonly n: number;
  /** Mean reward of the held-out samples (pairwise: against the pretrained generator's). */
  readonly heldOutReward: number;
  readonly quality: number;
  readonly background: number[];
}

/** The diagnostics both trainers write every step. */
export interface RlStepBase {
  readonly step: number;
  /** Mean reward of the step's batch (before its update). */
  readonly reward: number;
  readonly rewardStd: number;
  readonly groupStd: number;
  readonly flatGroups: number;
  /** Share of the step's samples the binary oracle accepts. */
  readonly oracleTrain: number;
  readonly diversity: number;
  readonly drift: number;
  readonly ms: number;
  readonly eval?: RlEval;
  readonly alarm: boolean;
  readonly alarmReason?: string;
}

/** Seeds of consecutive steps are this far apart. */
export const STEP_SEED_STRIDE = 1_000_003;
const CKPT = 'checkpoint';
const METRICS = 'metrics.jsonl';
/** Coarse 3x3 cell of an object's centre, for oracle signatures. */
const CELLS = 3;

/** The oracle's reading of an image as a string ('circle:red:11|star:blue:02'), for oracleDiversity. */
export function oracleSignature(img: RgbImage): string {
  const a = analyzeImage(img);
  const c = (v: number, s: number): number => Math.min(CELLS - 1, Math.floor((v / s) * CELLS));
  return a.objects.map((o) => `${o.shape}:${o.color}:${c(o.cx, img.width)}${c(o.cy, img.height)}`).sort().join('|');
}

/**
 * A run folder: `<out>/metrics.jsonl` (one line per step, step 0 the evaluation before
 * training) and `<out>/checkpoint` (policy, optimizer, trainer step).
 * @example const folder = RlRunFolder.open(run.out, run.resume === true, policy, opt); for (let step = folder.start; ...) ...
 */
export class RlRunFolder {
  private constructor(
    readonly metricsFile: string,
    readonly ckpt: string,
    /** Steps already done (0 for a fresh run). */
    readonly start: number,
    private readonly history: CurvePoint[],
  ) {}

  /**
   * Creates `out`; with `resume` and a checkpoint there, loads the policy's weights and the
   * optimizer's state into `policy` and `opt` and keeps the metrics lines up to the
   * checkpoint's step, else starts an empty metrics file.
   */
  static open(out: string, resume: boolean, policy: FlowUNet, opt: AdamW): RlRunFolder {
    mkdirSync(out, { recursive: true });
    const metricsFile = join(out, METRICS);
    const ckpt = join(out, CKPT);
    let start = 0;
    const history: CurvePoint[] = [];
    if (resume && existsSync(join(ckpt, 'trainer.json'))) {
      loadWeights(ckpt, policy);
      const st = loadOptimizerState(ckpt);
      if (st) {
        opt.loadState(st.step, st.tensors);
        for (const t of st.tensors.values()) t.dispose();
      }
      start = (readJson(join(ckpt, 'trainer.json')) as { step: number }).step;
      const kept = existsSync(metricsFile) ? readFileSync(metricsFile, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as RlStepBase).filter((m) => m.step <= start) : [];
      writeFileSync(metricsFile, kept.map((m) => JSON.stringify(m) + '\n').join(''));
      // step 0 (no reward, the evaluation before training) is the curve's baseline
      for (const m of kept) history.push(curvePoint(m));
    } else {
      writeFileSync(metricsFile, '');
    }
    return new RlRunFolder(metricsFile, ckpt, start, history);
  }

  /** Writes the step-0 line (the evaluation before training), which is also the alarm's baseline. */
  writeInitial(ev: RlEval): void {
    appendFileSync(this.metricsFile, JSON.stringify({ step: 0, eval: ev }) + '\n');
    this.history.push(curvePoint({ step: 0, eval: ev }));
  }

  /** Whether step `step` (1-based) ends with an evaluation: every `evalEvery` steps and at the last. */
  static isEvalStep(step: number, steps: number, evalEvery: number): boolean {
    return step === steps || (evalEvery > 0 && step % evalEvery === 0);
  }

  /** Adds step `step`'s point to the curve and returns the hacking alarm's verdict over it. */
  alarm(step: number, reward: number, ev: RlEval | undefined): AlarmVerdict {
    this.history.push(curvePoint({ step, reward, ...(ev ? { eval: ev } : {}) }));
    return hackingAlarm(this.history, DEFAULT_ALARM);
  }

  /** Checkpoints the policy and optimizer (trainer.json: `{ step, ...trainer }`) and appends the metrics line. */
  commit<M extends RlStepBase>(m: M, policy: FlowUNet, opt: AdamW, trainer: Record<string, unknown>): M {
    saveGenerator(this.ckpt, policy, { optimizer: opt.state(), trainer: { step: m.step, ...trainer } });
    appendFileSync(this.metricsFile, JSON.stringify(m) + '\n');
    return m;
  }
}

export interface HeldOutOptions {
  /** Held-out prompts (the fixed set of heldOutPrompts). */
  readonly samples: number;
  readonly steps: number;
  readonly guidance: number;
  readonly seed: number;
  /** Score against the pretrained generator's sample for the same prompt and noise. */
  readonly pairwise: boolean;
}

/** Rewards of images for their prompts (against references for pairwise rewards). */
export type HeldOutReward = (images: readonly RgbImage[], metas: readonly GenevalMetadata[], references?: readonly RgbImage[]) => number[] | Promise<number[]>;

/**
 * The held-out evaluation of `policy`: one ODE sample per held-out prompt judged by the
 * oracle, and the mean reward of those samples. Pairwise rewards compare each sample with the
 * pretrained generator's (same prompt, same noise; sampled once), so no tournament is needed.
 */
export function heldOutEvaluator(policy: FlowUNet, pretrained: FlowUNet, o: HeldOutOptions, reward: HeldOutReward): () => Promise<RlEval> {
  const held = heldOutPrompts(o.samples);
  const opts = { steps: o.steps, guidance: o.guidance, seed: o.seed };
  let heldRefs: RgbImage[] | undefined;
  return async () => {
    policy.eval();
    const e = evaluateGenerator(policy, held, opts);
    if (o.pairwise) heldRefs ??= evaluateGenerator(pretrained, held, opts).images;
    const hr = await reward(e.images, held, heldRefs);
    return { score: e.score, lo: e.lo, hi: e.hi, n: e.n, heldOutReward: hr.reduce((a, b) => a + b, 0) / hr.length, quality: e.quality, background: e.background };
  };
}
