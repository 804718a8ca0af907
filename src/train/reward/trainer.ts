/**
 * Reward-model training by next-token prediction (generative pairwise), Bradley-Terry on P(yes)
 * logits plus cross-entropy (generative pointwise), or Bradley-Terry on a scalar head (the
 * regressive baseline); also the visual pretraining stage. AdamW with warmup + cosine decay,
 * gradient clipping, periodic evaluation, metrics.jsonl, atomic checkpoints, and exact resume:
 * the batch of step k is a pure function of (seed, k), so a resumed run repeats the same curve.
 */
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../errors.js';
import { Tokenizer } from '../../data/tokenizer.js';
import { loadOptimizerState, loadWeights, readCheckpointConfig, saveCheckpoint, TRAINER_FILE } from '../../nn/index.js';
import { vlmConfig, vlmConfigFromJson, type VlmConfig } from '../../models/vlm/config.js';
import { answerLoss, TinyVlm } from '../../models/vlm/model.js';
import type { ContextOptions } from '../../models/vlm/prompting.js';
import { VlmScorer, type Paradigm } from '../../models/vlm/scorer.js';
import { buildBatch, groupByLayout, type SequenceSpec } from '../../models/vlm/sequence.js';
import { AdamW, clipGradNorm, F, lrAt, manualSeed, setNumThreads, tidy, type Tensor } from '../../tensor/index.js';
import { readJson, toJsonl } from '../../util/fs.js';
import { Rng } from '../../util/rng.js';
import type { TrainItem, TrainPair } from './data.js';
import { evaluatePairs, type RmEvaluation } from './evaluate.js';
import { bradleyTerryLoss } from './losses.js';
import { evaluateVqa, type VqaEvaluation } from './pretrain-eval.js';

export type TrainParadigm = Paradigm | 'pretrain';

export interface RmTrainConfig {
  readonly paradigm: TrainParadigm;
  readonly context: ContextOptions;
  readonly steps: number;
  /** Items per step (pairs for pointwise/BT, sequences for pairwise and pretraining). */
  readonly batchSize: number;
  readonly lr: number;
  readonly warmupSteps: number;
  readonly minLrRatio: number;
  readonly weightDecay: number;
  readonly clip: number;
  readonly evalEvery: number;
  /** Weight of the yes/no cross-entropy term beside the BT loss (pointwise). */
  readonly pointwiseCeWeight: number;
  /** Weight of the image-token term of grounded pretraining (items whose images carry labels). */
  readonly groundingWeight: number;
  readonly seed: number;
  readonly threads: number;
}

export const DEFAULT_RM_TRAIN_CONFIG: RmTrainConfig = {
  paradigm: 'pairwise',
  context: { instruction: true, reference: true, examples: 0, cot: 'off' },
  steps: 1000,
  batchSize: 32,
  // DESIGN.md 7: fine-tuning at 3e-4 instead of 1e-3 lost the pretraining benefit
  lr: 1e-3,
  warmupSteps: 50,
  minLrRatio: 0.1,
  weightDecay: 0.01,
  clip: 1,
  evalEvery: 200,
  pointwiseCeWeight: 0.5,
  groundingWeight: 0.5,
  seed: 0,
  // DESIGN.md 3: one torch thread was best for small transformers on 2 cores
  threads: 1,
};

/** Visual questions asked at each pretraining evaluation. */
export const PRETRAIN_EVAL_QUESTIONS = 300;

/** One line of metrics.jsonl. */
export interface RmMetrics {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  itemsPerSec: number;
  eval?: Record<string, RmEvaluation>;
  /** Pretraining: visual-question accuracy per skill on fresh scenes. */
  vqa?: VqaEvaluation;
}

export interface RmTrainJob {
  readonly out: string;
  readonly config: RmTrainConfig;
  /** A fresh model config, or the checkpoint to start from (pretrained VLM). */
  readonly model: { readonly init: string; readonly overrides?: Partial<Pick<VlmConfig, 'mediaRoleStd'>> } | { readonly config: VlmConfig };
  readonly items: readonly TrainItem[];
  /** Pairs to evaluate on, by split name. */
  readonly evalSets?: Readonly<Record<string, readonly TrainPair[]>>;
  readonly resume?: boolean;
  /** Called after each step (progress bars). */
  readonly onStep?: (m: RmMetrics) => void;
  /** Stop after this many steps of this invocation (tests simulate a kill with it). */
  readonly stopAfter?: number;
  /**
   * Also checkpoint every N steps (besides evaluations and the last step), so that a killed long
   * run resumes near where it was; 0 or absent: no extra checkpoints.
   */
  readonly checkpointEvery?: number;
}

function loadModel(job: RmTrainJob): TinyVlm {
  if ('config' in job.model) return new TinyVlm(job.model.config);
  // overrides may add parts the checkpoint lacks (a media role table): they start from their initialisation
  const model = new TinyVlm(vlmConfig({ ...vlmConfigFromJson(readCheckpointConfig(job.model.init)), ...job.model.overrides }));
  loadWeights(job.model.init, model, { strict: false });
  return model;
}

/** Indices of the items of step k: a permutation per epoch, seeded by (seed, epoch). */
export function batchIndices(n: number, batchSize: number, seed: number, step: number): number[] {
  const out: number[] = [];
  let pos = step * batchSize;
  while (out.length < batchSize) {
    const epoch = Math.floor(pos / n);
    const perm = new Rng(seed * 1_000_003 + epoch).shuffle(Array.from({ length: n }, (_, i) => i));
    const within = pos % n;
    const take = Math.min(batchSize - out.length, n - within);
    out.push(...perm.slice(within, within + take));
    pos += take;
  }
  return out;
}

function lossFor(model: TinyVlm, items: TrainItem[], cfg: RmTrainConfig, yesId: number, noId: number): Tensor {
  const singles = items.filter((i): i is Extract<TrainItem, { kind: 'single' }> => i.kind === 'single').map((i) => i.spec);
  const pairs = items.filter((i): i is Extract<TrainItem, { kind: 'pair' }> => i.kind === 'pair');
  const losses: { loss: Tensor; weight: number }[] = [];
  for (const group of groupByLayout(singles)) {
    const batch = buildBatch(group, model.config);
    if (!batch.tokenTargets) {
      losses.push({ loss: answerLoss(model.answerLogits(batch), batch.targets!, batch.weights!), weight: group.length });
      continue;
    }
    // grounded pretraining: image tokens also predict the word of the object under them
    // (one pass of the LM head over every position serves both terms)
    const logits = model.logits(model.hidden(batch)); // (B, T, V)
    const answer = answerLoss(logits.slice(1, batch.ansIndex), batch.targets!, batch.weights!);
    const [b, t] = batch.tokenTargets.shape as [number, number];
    const grounding = F.crossEntropy(logits.reshape(b * t, -1), batch.tokenTargets.reshape(b * t));
    losses.push({ loss: answer.add(grounding.mul(cfg.groundingWeight)), weight: group.length });
  }
  if (pairs.length > 0) {
    const specs: SequenceSpec[] = [...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)];
    const batch = buildBatch(specs, model.config);
    const h = model.ansHidden(batch); // (2P, D)
    const n = pairs.length;
    if (cfg.paradigm === 'bt') {
      const s = model.scalarReward(h);
      losses.push({ loss: bradleyTerryLoss(s.slice(0, 0, n), s.slice(0, n, 2 * n)), weight: n });
    } else {
      const logits = model.logits(h); // (2P, V)
      const margin = logits.select(1, yesId).sub(logits.select(1, noId)); // logit yes - logit no
      const bt = bradleyTerryLoss(margin.slice(0, 0, n), margin.slice(0, n, 2 * n));
      const ce = answerLoss(logits.unsqueeze(1), batch.targets!.slice(1, 0, 1), batch.weights!.slice(1, 0, 1));
      losses.push({ loss: bt.add(ce.mul(cfg.pointwiseCeWeight)), weight: n });
    }
  }
  const total = losses.reduce((s, l) => s + l.weight, 0);
  return losses.map((l) => l.loss.mul(l.weight / total)).reduce((a, b) => a.add(b));
}

/**
 * Trains (or resumes) a reward model and writes `out/` (checkpoint and metrics.jsonl).
 * @example await trainRewardModel({ out: 'runs/rm', config, model: { config: vlmConfig({...}) }, items });
 */
export function trainRewardModel(job: RmTrainJob): { model: TinyVlm; metrics: RmMetrics[]; evaluation: Record<string, RmEvaluation> } {
  const cfg = job.config;
  if (job.items.length === 0) throw new ConfigError('no training items: generate pairs first');
  setNumThreads(cfg.threads);
  manualSeed(cfg.seed);
  mkdirSync(job.out, { recursive: true });
  const metricsFile = join(job.out, 'metrics.jsonl');
  let model: TinyVlm;
  let startStep = 0;
  let metrics: RmMetrics[] = [];
  const resuming = job.resume && existsSync(join(job.out, TRAINER_FILE));
  if (resuming) {
    model = new TinyVlm(vlmConfigFromJson(readCheckpointConfig(job.out)));
    loadWeights(job.out, model);
    const state = readJson(join(job.out, TRAINER_FILE)) as { step: number; metrics: RmMetrics[] };
    startStep = state.step;
    metrics = state.metrics;
  } else {
    model = loadModel(job);
  }
  const tok = new Tokenizer(model.config.vocab.slice(5));
  const yesId = tok.id('yes');
  const noId = tok.id('no');
  const opt = new AdamW(model.namedParameters(), { lr: cfg.lr, weightDecay: cfg.weightDecay });
  if (resuming) {
    const st = loadOptimizerState(job.out);
    if (st) {
      opt.loadState(st.step, st.tensors);
      for (const t of st.tensors.values()) t.dispose();
    }
  }
  writeFileSync(metricsFile, toJsonl(metrics));
  const schedule = { peakLr: cfg.lr, warmupSteps: cfg.warmupSteps, totalSteps: cfg.steps, minRatio: cfg.minLrRatio };
  const params = model.parameters();
  const scorerParadigm: Paradigm = cfg.paradigm === 'pretrain' ? 'pairwise' : cfg.paradigm;
  let evaluation: Record<string, RmEvaluation> = {};
  const runEval = (): Record<string, RmEvaluation> => {
    const out: Record<string, RmEvaluation> = {};
    if (cfg.paradigm === 'pretrain') return out;
    const scorer = new VlmScorer(model, scorerParadigm, cfg.context);
    for (const [name, pairs] of Object.entries(job.evalSets ?? {})) out[name] = evaluatePairs(scorer, pairs);
    model.train();
    return out;
  };
  const save = (step: number): void => {
    saveCheckpoint(job.out, {
      config: { ...model.config, paradigm: scorerParadigm, context: cfg.context, trainConfig: cfg },
      model,
      optimizer: opt.state(),
      trainer: { step, metrics },
      keep: ['metrics.jsonl'],
    });
  };
  model.train();
  let ran = 0;
  let savedStep = startStep;
  for (let step = startStep; step < cfg.steps; step++) {
    if (job.stopAfter !== undefined && ran >= job.stopAfter) break;
    const t0 = performance.now();
    const items = batchIndices(job.items.length, cfg.batchSize, cfg.seed, step).map((i) => job.items[i]!);
    const loss = tidy(() => {
      const l = lossFor(model, items, cfg, yesId, noId);
      l.backward();
      return l.item();
    });
    const gradNorm = clipGradNorm(params, cfg.clip);
    const lr = lrAt(schedule, step);
    opt.step(lr);
    opt.zeroGrad();
    ran++;
    const m: RmMetrics = { step: step + 1, loss, lr, gradNorm, itemsPerSec: items.length / ((performance.now() - t0) / 1000) };
    const last = step + 1 === cfg.steps;
    if ((cfg.evalEvery > 0 && (step + 1) % cfg.evalEvery === 0) || last) {
      evaluation = runEval();
      m.eval = evaluation;
      if (cfg.paradigm === 'pretrain') {
        m.vqa = evaluateVqa(model, { n: PRETRAIN_EVAL_QUESTIONS, seed: cfg.seed + 4242 });
        model.train();
      }
    }
    metrics.push(m);
    appendFileSync(metricsFile, JSON.stringify(m) + '\n');
    job.onStep?.(m);
    if (m.eval || last || (job.checkpointEvery && (step + 1) % job.checkpointEvery === 0)) {
      save(step + 1);
      savedStep = step + 1;
    }
  }
  // a run stopped between evaluations (stopAfter) still leaves a resumable checkpoint
  const lastStep = metrics.at(-1)?.step ?? startStep;
  if (ran > 0 && lastStep !== savedStep) save(lastStep);
  opt.dispose();
  return { model, metrics, evaluation };
}
