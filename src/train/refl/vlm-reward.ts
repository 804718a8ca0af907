/**
 * A local VLM reward checkpoint as a DifferentiableReward for ReFL: the same forward pass as
 * the non-differentiable scorer (VlmScorer.score: instruction, prompt, [reference,]
 * candidate, <ans>), with the candidate's pixels fed in as a tensor that carries the
 * generator's autograd history. Generative paradigms (pairwise, pointwise) return P(yes)
 * normalised over {yes, no} (sigmoid of the yes-minus-no logit, i.e. the two-way softmax);
 * the Bradley-Terry head returns sigmoid(scalar). The VLM is frozen: its parameters stop
 * requiring gradients for the duration of the forward pass only, so the graph holds no
 * edge into them and a later backward accumulates nothing there; their flags are restored
 * before returning.
 */
import { basename } from 'node:path';
import { blankImage, imageMedia } from '../../data/image.js';
import { ConfigError, InputError, ShapeError } from '../../errors.js';
import type { TinyVlm } from '../../models/vlm/model.js';
import { questionSegments, type ContextOptions } from '../../models/vlm/prompting.js';
import { VlmScorer, type Paradigm } from '../../models/vlm/scorer.js';
import { buildBatch, type BatchSegment } from '../../models/vlm/sequence.js';
import { loadVlmCheckpoint, type LocalVlmRewardModel } from '../../rewards/generative.js';
import { cat, type Tensor } from '../../tensor/index.js';
import type { DifferentiableReward } from './types.js';

export interface VlmRewardOptions {
  /** The criterion named in the instruction (default 'alignment', what the RMs are trained on for t2i). */
  readonly criteria?: string;
  /** The task named in the instruction (default 't2i'; the generator is text-to-image). */
  readonly task?: string;
  /**
   * Pairwise models: 'one' asks P(yes | reference, candidate) as the model was trained to be
   * asked; 'both' also asks with the two swapped and returns (P(yes | ref, cand) + 1 -
   * P(yes | cand, ref)) / 2, the order-debiased score `rm eval` measures accuracy with (twice
   * the reward model's cost). Default 'one'.
   */
  readonly orders?: RewardOrders;
}

/** How a pairwise reward reads a (reference, candidate) pair: one order, or both averaged. */
export const REWARD_ORDERS = ['one', 'both'] as const;
export type RewardOrders = (typeof REWARD_ORDERS)[number];

/**
 * P(yes | instruction, prompt, [reference,] candidate) of a tiny-VLM checkpoint, differentiable
 * in the candidate's pixels.
 * @example
 * const rm = FrozenVlmReward.load('runs/rm');
 * tidy(() => rm.rewardTensor(x0, prompts, refs).mean().neg().backward());
 */
export class FrozenVlmReward implements DifferentiableReward {
  readonly mode: 'pairwise' | 'pointwise';
  /** Reads the checkpoint's token ids (yes, no) and its vocabulary; also the reference scorer. */
  readonly scorer: VlmScorer;
  private readonly criteria: string;
  private readonly task: string;
  readonly orders: RewardOrders;
  private owned = true;

  constructor(readonly id: string, readonly model: TinyVlm, readonly paradigm: Paradigm, readonly context: ContextOptions, opts: VlmRewardOptions = {}) {
    if (context.cot === 'reason-first') {
      throw new InputError(`${id}: a reason-first model decodes a rationale before it answers, which is not differentiable; use a checkpoint trained with cot off or decision-first, or --algo grpo`);
    }
    if (paradigm === 'pairwise' && !context.reference) throw new ConfigError(`${id}: a pairwise checkpoint whose context shows no reference`);
    if (paradigm !== 'pairwise' && context.reference) throw new ConfigError(`${id}: a ${paradigm} checkpoint whose context shows a reference`);
    this.scorer = new VlmScorer(model, paradigm, context);
    this.mode = paradigm === 'pairwise' ? 'pairwise' : 'pointwise';
    this.criteria = opts.criteria ?? 'alignment';
    this.task = opts.task ?? 't2i';
    this.orders = opts.orders ?? 'one';
    if (!(REWARD_ORDERS as readonly string[]).includes(this.orders)) throw new ConfigError(`${id}: orders must be one of ${REWARD_ORDERS.join(', ')}, got '${String(this.orders)}'`);
    if (this.orders === 'both' && paradigm !== 'pairwise') throw new ConfigError(`${id}: orders 'both' is for pairwise checkpoints; this one is ${paradigm}`);
  }

  /** Loads a checkpoint folder (config.json + model.safetensors); the id is the folder's name. */
  static load(dir: string, opts: VlmRewardOptions = {}): FrozenVlmReward {
    const { model, paradigm, context } = loadVlmCheckpoint(dir);
    return new FrozenVlmReward(basename(dir.replace(/\/+$/u, '')), model, paradigm, context, opts);
  }

  /** Shares the model of a loaded LocalVlmRewardModel (no copy): `rm.close()` frees it, `dispose()` here does not. */
  static fromRewardModel(rm: LocalVlmRewardModel, opts: VlmRewardOptions = {}): FrozenVlmReward {
    const r = new FrozenVlmReward(rm.id, rm.scorer.model, rm.scorer.paradigm, rm.scorer.context, opts);
    r.owned = false;
    return r;
  }

  /** Image side the VLM reads. */
  get imageSize(): number {
    return this.model.config.imageSize;
  }

  /**
   * images (B, 3, S, S) in [0, 1] (with autograd history), prompts (B), references (B, 3, S, S)
   * in [0, 1] (pairwise only) -> rewards (B) in [0, 1], differentiable in `images`.
   */
  rewardTensor(images: Tensor, prompts: readonly string[], references?: Tensor): Tensor {
    const s = this.imageSize;
    const [b, c, h, w] = images.shape as [number, number, number, number];
    if (images.shape.length !== 4 || c !== 3 || h !== s || w !== s) throw new ShapeError(`${this.id}: images must be (B, 3, ${s}, ${s}) in [0, 1], got [${images.shape.join(', ')}]`);
    if (prompts.length !== b) throw new InputError(`${this.id}: ${b} images but ${prompts.length} prompts`);
    if (this.mode === 'pairwise') {
      if (!references) throw new InputError(`${this.id} is a pairwise reward model: rewardTensor needs one reference image per candidate`);
      if (references.shape.join(',') !== images.shape.join(',')) throw new ShapeError(`${this.id}: references must be shaped like the images [${images.shape.join(', ')}], got [${references.shape.join(', ')}]`);
    }
    if (this.mode === 'pairwise' && this.orders === 'both') {
      // candidate second, then candidate first: P = (p(ref, cand) + 1 - p(cand, ref)) / 2
      const ref = references!.detach();
      const p = this.forward(cat([images, ref]), [...prompts, ...prompts], cat([ref, images])); // (2B)
      return p.slice(0, 0, b).add(p.slice(0, b, 2 * b).neg().add(1)).mul(0.5); // (B)
    }
    return this.forward(images, prompts, references?.detach());
  }

  /** P(yes) (or the BT sigmoid) of each (reference, candidate) question, differentiable in both image tensors. */
  private forward(images: Tensor, prompts: readonly string[], references: Tensor | undefined): Tensor {
    const s = this.imageSize;
    // The sequence layout (and text ids, mask) of the scorer's own questions; blank images stand
    // in for the media and are swapped for the pixel tensors below.
    const blank = imageMedia(blankImage(s, s));
    const specs = prompts.map((prompt) => ({
      segments: questionSegments({ task: this.task, prompt, criteria: this.criteria, candidate: blank, reference: this.mode === 'pairwise' ? blank : undefined }, this.context, this.scorer.tok),
      answer: [] as number[],
    }));
    const batch = buildBatch(specs, this.model.config);
    const segments: BatchSegment[] = batch.segments.map((g) => {
      if (g.kind !== 'image') return g;
      if (g.role === 'candidate') return { ...g, pixels: images };
      if (g.role === 'reference') return { ...g, pixels: references! };
      return g;
    });
    const params = this.model.parameters();
    const flags = params.map((p) => p.requiresGrad);
    const wasTraining = this.model.training;
    this.model.eval();
    try {
      for (const p of params) p.requiresGrad_(false);
      const hid = this.model.ansHidden({ ...batch, segments }); // (B, D)
      if (this.paradigm === 'bt') return this.model.scalarReward(hid).sigmoid(); // (B)
      const logits = this.model.logits(hid); // (B, V)
      // softmax over the two answer tokens: P(yes) = sigmoid(logit_yes - logit_no)
      return logits.select(1, this.scorer.yesId).sub(logits.select(1, this.scorer.noId)).sigmoid(); // (B)
    } finally {
      params.forEach((p, i) => p.requiresGrad_(flags[i]));
      this.model.train(wasTraining);
    }
  }

  /** Frees the model when this reward loaded it. */
  dispose(): void {
    if (this.owned) this.model.dispose();
  }
}
