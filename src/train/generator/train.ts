/**
 * Generator pretraining on world samples: each step draws world prompts, lays out and
 * renders a scene for each (no distractors), and takes one AdamW step on the flow-matching
 * loss with prompt dropout. Keeps an EMA copy (the one to ship), writes metrics.jsonl,
 * evaluates with the oracle now and then, and checkpoints for an exact `resume`: data and
 * noise are drawn from (seed, step), so a resumed run sees what an unbroken one would.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../errors.js';
import { loadOptimizerState, loadWeights } from '../../nn/index.js';
import { AdamW, clipGradNorm, lrAt, manualSeed, noGrad, setNumThreads, tidy } from '../../tensor/index.js';
import { Rng } from '../../util/rng.js';
import { readJson } from '../../util/fs.js';
import { render } from '../../world/render.js';
import { PLAIN_LAYOUT, sceneFor } from '../../world/scene.js';
import { captionScene, colorFilledPrompt } from '../../world/captions.js';
import { samplePrompts } from '../../world/prompts.js';
import { FlowUNet, flowMatchingLoss, generatorConfig, imagesToTensor, saveGenerator, type GeneratorConfig } from '../../models/generator/index.js';
import { evaluateGenerator, heldOutPrompts, type OracleEval } from './evaluate.js';

export interface GeneratorTrainConfig {
  readonly preset: string;
  readonly steps: number;
  readonly batch: number;
  readonly lr: number;
  readonly warmup: number;
  readonly weightDecay: number;
  readonly clip: number;
  /** EMA decay of the shipped weights (with a 1 - (1+s)/(10+s) warm-up). */
  readonly emaDecay: number;
  readonly seed: number;
  readonly threads: number;
  /** Evaluate with the oracle every N steps (0: only at the end). */
  readonly evalEvery: number;
  readonly evalSamples: number;
  readonly evalSteps: number;
  readonly evalGuidance: number;
  readonly checkpointEvery: number;
  /** Stop after this many seconds (0: no limit); the run saves and can be resumed. */
  readonly maxSeconds: number;
  /**
   * Share of training images (0-1) whose text is a caption naming every object's colour (of the
   * kind `captionStyle` says) instead of its bare GenEval prompt (DALL-E 3's recaptioning, in
   * miniature).
   * GenEval prompts name a colour in two of six tags only, and a generator trained on them
   * alone learns shapes long before it follows colour words.
   */
  readonly captionMix: number;
  /**
   * What a mixed-in caption is: 'scene', the scene's full caption (every object by colour and
   * class, left to right; it drops the prompt's relations), or 'prompt', the prompt itself with
   * each object's drawn colour written in (keeps counts and relations).
   */
  readonly captionStyle: CaptionStyle;
}

/** Kinds of caption `captionMix` trains on (GeneratorTrainConfig.captionStyle). */
export const CAPTION_STYLES = ['scene', 'prompt'] as const;
export type CaptionStyle = (typeof CAPTION_STYLES)[number];

/** Training defaults (the shipped models/rd-gen-t2i used them with preset `base`; its README). */
export const DEFAULT_GENERATOR_TRAIN_CONFIG: GeneratorTrainConfig = {
  preset: 'small',
  steps: 500,
  batch: 32,
  lr: 1.5e-3,
  warmup: 50,
  weightDecay: 0.01,
  clip: 1,
  emaDecay: 0.995,
  seed: 1,
  threads: 1,
  evalEvery: 0,
  evalSamples: 256,
  evalSteps: 16,
  evalGuidance: 2,
  checkpointEvery: 100,
  maxSeconds: 0,
  captionMix: 0,
  captionStyle: 'scene',
};

/** Train presets: `tiny` for tests and smoke runs; `small` and `base` pick the model preset of that name. */
export const GENERATOR_TRAIN_PRESETS: Readonly<Record<string, Partial<GeneratorTrainConfig>>> = {
  tiny: { preset: 'tiny', steps: 20, batch: 8, evalSamples: 12, evalSteps: 4, checkpointEvery: 10, warmup: 2 },
  small: {},
  base: { preset: 'base' },
};

/** Merges overrides into a train preset; unknown keys are ConfigErrors. */
export function generatorTrainConfig(preset = 'small', overrides: Record<string, unknown> = {}): GeneratorTrainConfig {
  const base = GENERATOR_TRAIN_PRESETS[preset];
  if (!base) throw new ConfigError(`unknown generator training preset '${preset}'; known: ${Object.keys(GENERATOR_TRAIN_PRESETS).join(', ')}`);
  for (const k of Object.keys(overrides)) {
    if (!(k in DEFAULT_GENERATOR_TRAIN_CONFIG)) throw new ConfigError(`generator training: unknown option '${k}' (known: ${Object.keys(DEFAULT_GENERATOR_TRAIN_CONFIG).join(', ')})`);
  }
  const c = { ...DEFAULT_GENERATOR_TRAIN_CONFIG, ...base, ...overrides };
  if (!(c.captionMix >= 0 && c.captionMix <= 1)) throw new ConfigError(`generator training: captionMix must be in [0, 1], got ${String(c.captionMix)}`);
  if (!(CAPTION_STYLES as readonly string[]).includes(c.captionStyle)) throw new ConfigError(`generator training: captionStyle must be one of ${CAPTION_STYLES.join(', ')}, got ${JSON.stringify(c.captionStyle)}`);
  return c;
}

/** Seeds mixing (seed, step) so that every step's data is reproducible. */
const STEP_SEED_STRIDE = 1_000_003;

/**
 * One batch of world training data for a step: prompts and rendered images (PLAIN layout).
 * With `captionMix` > 0 that share of the texts is a caption of `captionStyle` instead (when
 * its words fit the generator's `maxTokens`).
 * @example const { prompts, images } = worldBatch(8, 1, 0, 32);
 */
export function worldBatch(batch: number, seed: number, step: number, size: number, captionMix = 0, maxTokens = Infinity, captionStyle: CaptionStyle = 'scene'): { prompts: string[]; images: ReturnType<typeof render>[] } {
  const s = seed * STEP_SEED_STRIDE + step;
  const metas = samplePrompts({ n: batch, seed: s, domain: 'id' });
  const rng = new Rng(s ^ 0x5bd1e995);
  // prompts cycle through tags in order; shuffle so that batch position does not leak the tag
  const order = rng.shuffle(metas.map((_, i) => i));
  const scenes = order.map((i) => sceneFor(metas[i]!, rng, { style: PLAIN_LAYOUT }));
  const images = scenes.map((sc) => render(sc, { size }));
  const prompts = order.map((i) => metas[i]!.prompt);
  if (captionMix > 0) {
    // a separate stream, so that captionMix 0 draws exactly what earlier runs drew
    const crng = new Rng(s ^ 0x2c1b3c6d);
    scenes.forEach((sc, j) => {
      if (!crng.chance(captionMix)) return;
      const caption = captionStyle === 'prompt' ? colorFilledPrompt(metas[order[j]!]!, sc) : captionScene(sc);
      if (caption.split(' ').length < maxTokens) prompts[j] = caption; // + [CLS]
    });
  }
  return { prompts, images };
}

export interface TrainEvents {
  onStep?(step: number, info: { loss: number; lr: number; ms: number }): void;
  onEval?(step: number, e: OracleEval): void;
}

export interface TrainResult {
  readonly steps: number;
  readonly seconds: number;
  readonly finalLoss: number;
  readonly eval: OracleEval;
  readonly stoppedEarly: boolean;
}

const CKPT = 'checkpoint';
const EMA = 'ema';
const METRICS = 'metrics.jsonl';

/** Keeps only metric lines up to `step` (resume drops what the killed run wrote after its checkpoint). */
function truncateMetrics(file: string, step: number): void {
  if (!existsSync(file)) return;
  const kept = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').filter((l) => (JSON.parse(l) as { step: number }).step <= step);
  writeFileSync(file, kept.map((l) => l + '\n').join(''));
}

/**
 * Pretrains a generator into `out` (checkpoint/ for resume, ema/ the weights to use).
 * @example await trainGenerator('runs/gen', generatorTrainConfig('tiny'), { resume: false });
 */
export function trainGenerator(out: string, cfg: GeneratorTrainConfig, opts: { resume?: boolean; model?: Partial<GeneratorConfig> } & TrainEvents = {}): TrainResult {
  setNumThreads(cfg.threads);
  mkdirSync(out, { recursive: true });
  const metricsFile = join(out, METRICS);
  const resumeDir = join(out, CKPT);
  const resuming = opts.resume === true && existsSync(join(resumeDir, 'trainer.json'));
  const mcfg = resuming ? generatorConfig('small', readJson(join(resumeDir, 'config.json')) as Record<string, unknown>) : generatorConfig(cfg.preset, opts.model ?? {});
  manualSeed(cfg.seed);
  const model = new FlowUNet(mcfg);
  const ema = new FlowUNet(mcfg);
  noGrad(() => ema.parameters().forEach((p, i) => p.copyFrom(model.parameters()[i]!)));
  const opt = new AdamW(model.namedParameters(), { lr: cfg.lr, weightDecay: cfg.weightDecay, beta2: 0.99 });
  let start = 0;
  if (resuming) {
    loadWeights(resumeDir, model);
    loadWeights(join(out, EMA), ema);
    const st = loadOptimizerState(resumeDir);
    if (st) {
      opt.loadState(st.step, st.tensors);
      for (const t of st.tensors.values()) t.dispose();
    }
    start = (readJson(join(resumeDir, 'trainer.json')) as { step: number }).step;
    truncateMetrics(metricsFile, start);
  } else {
    writeFileSync(metricsFile, '');
  }
  const sched = { peakLr: cfg.lr, warmupSteps: cfg.warmup, totalSteps: cfg.steps, minRatio: 0.1 };
  const t0 = Date.now();
  const save = (step: number): void => {
    saveGenerator(resumeDir, model, { optimizer: opt.state(), trainer: { step, train: cfg } });
    saveGenerator(join(out, EMA), ema);
  };
  const evalNow = (step: number): OracleEval => {
    ema.eval();
    const e = evaluateGenerator(ema, heldOutPrompts(cfg.evalSamples), { steps: cfg.evalSteps, guidance: cfg.evalGuidance, seed: cfg.seed });
    const { images: _images, ...rest } = e;
    appendFileSync(metricsFile, JSON.stringify({ step, eval: rest }) + '\n');
    opts.onEval?.(step, rest);
    return rest;
  };
  let loss = NaN;
  let step = start;
  let stoppedEarly = false;
  model.train();
  for (; step < cfg.steps; step++) {
    if (cfg.maxSeconds > 0 && (Date.now() - t0) / 1000 > cfg.maxSeconds) {
      stoppedEarly = true;
      break;
    }
    const ts = Date.now();
    const { prompts, images } = worldBatch(cfg.batch, cfg.seed, step, mcfg.imageSize, cfg.captionMix, mcfg.maxTokens, cfg.captionStyle);
    manualSeed(cfg.seed * STEP_SEED_STRIDE + step);
    const rng = new Rng(cfg.seed * STEP_SEED_STRIDE + step + 1);
    const lr = lrAt(sched, step);
    loss = tidy(() => {
      const l = flowMatchingLoss(model, imagesToTensor(images), prompts, rng);
      l.backward();
      return l.item();
    });
    clipGradNorm(opt.params, cfg.clip);
    opt.step(lr);
    opt.zeroGrad();
    const decay = Math.min(cfg.emaDecay, (1 + step) / (10 + step));
    noGrad(() => ema.parameters().forEach((p, i) => p.lerpTowards(model.parameters()[i]!, 1 - decay)));
    const ms = Date.now() - ts;
    appendFileSync(metricsFile, JSON.stringify({ step: step + 1, loss, lr, ms }) + '\n');
    opts.onStep?.(step + 1, { loss, lr, ms });
    if ((step + 1) % cfg.checkpointEvery === 0) save(step + 1);
    if (cfg.evalEvery > 0 && (step + 1) % cfg.evalEvery === 0 && step + 1 < cfg.steps) evalNow(step + 1);
  }
  save(step);
  const ev = evalNow(step);
  opt.dispose();
  model.dispose();
  ema.dispose();
  return { steps: step, seconds: (Date.now() - t0) / 1000, finalLoss: loss, eval: ev, stoppedEarly };
}
