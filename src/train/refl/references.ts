/**
 * The paper's ReFL reference: for each prompt, N samples of the pretrained generator meet in
 * a pairwise tournament judged by the reward model itself (round robin up to 8, knockout
 * beyond: src/select/tournament.ts), and the winner is the reference the policy's samples
 * are compared against. Each prompt's reference is computed once per run and cached; its
 * samples are seeded from the prompt's text, so a resumed run recomputes the same ones.
 */
import { imageMedia, type RgbImage } from '../../data/image.js';
import { InputError } from '../../errors.js';
import { sampleImages, type FlowUNet } from '../../models/generator/index.js';
import type { RewardModel } from '../../rewards/types.js';
import { chooseReference } from '../../select/tournament.js';

/** Largest tournament (the paper's N <= 16). */
export const MAX_REFERENCE_CANDIDATES = 16;

export interface ReferenceOptions {
  /** Samples per prompt in the tournament (1 takes the single sample as is). */
  readonly n: number;
  readonly steps: number;
  readonly guidance: number;
  readonly seed: number;
  readonly criteria?: string;
}

/** FNV-1a of a string (32 bits). */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * Per-prompt references: the tournament winner among N pretrained samples.
 * @example const refs = new ReferenceCache(pretrained, rm, { n: 8, steps: 16, guidance: 2, seed: 1 }); await refs.get('a photo of a red circle');
 */
export class ReferenceCache {
  private readonly cache = new Map<string, RgbImage>();
  /** Reward-model queries and milliseconds spent on tournaments so far. */
  queries = 0;
  ms = 0;

  constructor(readonly generator: FlowUNet, readonly judge: RewardModel, readonly opts: ReferenceOptions) {
    if (!Number.isInteger(opts.n) || opts.n < 1 || opts.n > MAX_REFERENCE_CANDIDATES) throw new InputError(`reference tournament size must be an integer in [1, ${MAX_REFERENCE_CANDIDATES}], got ${opts.n}`);
    if (judge.mode !== 'pairwise') throw new InputError(`${judge.id} is a pointwise model: ReFL references are only needed (and judged) by pairwise models`);
  }

  get size(): number {
    return this.cache.size;
  }

  /** The reference of one prompt (cached). */
  async get(prompt: string): Promise<RgbImage> {
    const hit = this.cache.get(prompt);
    if (hit) return hit;
    const t0 = performance.now();
    const seed = (this.opts.seed * 7919 + fnv1a(prompt)) % 2 ** 31;
    const samples = sampleImages(this.generator, new Array<string>(this.opts.n).fill(prompt), { steps: this.opts.steps, guidance: this.opts.guidance, seed });
    let index = 0;
    if (samples.length > 1) {
      const choice = await chooseReference(this.judge, { task: 't2i', prompt, candidates: samples.map(imageMedia), criteria: this.opts.criteria ?? 'alignment' });
      index = choice.index;
      const n = samples.length;
      this.queries += choice.method === 'round-robin' ? n * (n - 1) : 2 * (n - 1);
    }
    const ref = samples[index]!;
    this.cache.set(prompt, ref);
    this.ms += performance.now() - t0;
    return ref;
  }

  /** References for a batch of prompts (in order; repeated prompts share one). */
  async getMany(prompts: readonly string[]): Promise<RgbImage[]> {
    const out: RgbImage[] = [];
    for (const p of prompts) out.push(await this.get(p));
    return out;
  }
}
