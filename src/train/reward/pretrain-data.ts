/**
 * The visual pretraining set: world scenes with GenEval-style captions and short-answer visual
 * questions (colour, class, count, existence, relation), read as next-token prediction in the
 * same sequence format the reward models use. RewardDance fine-tunes pretrained VLMs; this stage
 * gives the tiny VLM the skills a reward question needs.
 */
import { imageMedia, type Media } from '../../data/image.js';
import { BOS_ID, EOS_ID, type Tokenizer } from '../../data/tokenizer.js';
import { VLM_WORDS } from '../../models/vlm/prompting.js';
import type { SequenceSpec } from '../../models/vlm/sequence.js';
import { Rng } from '../../util/rng.js';
import { captionScene, visualQuestions, WORLD_WORDS } from '../../world/captions.js';
import { samplePrompts } from '../../world/prompts.js';
import { render } from '../../world/render.js';
import { sceneFor } from '../../world/scene.js';
import type { Scene } from '../../world/scene-types.js';
import { patchOwners } from '../../world/patch-labels.js';
import { pairItems, type TrainItem, type TrainPair } from './data.js';
import { ConfigError } from '../../errors.js';
import type { ContextOptions } from '../../models/vlm/prompting.js';
import type { Paradigm } from '../../models/vlm/scorer.js';

/** The tiny VLM's vocabulary: instruction words and every word the world writes. */
export function defaultVocabulary(): string[] {
  return [...new Set([...VLM_WORDS, ...WORLD_WORDS])];
}

/** A question about an image as a sequence: [<bos> question : ...] [image] -> answer. */
export function questionSpec(tok: Tokenizer, question: string, media: Media, answer: number[], labels?: readonly number[]): SequenceSpec {
  return { segments: [{ kind: 'text', role: 'prompt', ids: [BOS_ID, ...tok.encode(`question : ${question}`)] }, { kind: 'media', role: 'candidate', media, ...(labels ? { labels } : {}) }], answer };
}

/** Grounding targets of a scene: per image token, the class word of the object under it, or "nothing". */
export function groundingLabels(scene: Scene, tok: Tokenizer, size: number, patch: number): number[] {
  const nothing = tok.id('nothing');
  return patchOwners(scene, size, patch).map((o) => (o < 0 ? nothing : tok.id(scene.objects[o]!.shape)));
}

/** Share of items that are captions (the rest are visual questions). */
export const CAPTION_SHARE = 0.3;

/**
 * `n` pretraining sequences from fresh scenes (train-domain prompts, distractors included).
 * With `perSequence`, answer-token weights make every sequence count equally in the loss; with
 * `groundPatch` (the model's patch side), every image token also learns the class word of the
 * object under it (grounded pretraining).
 * @example const items = pretrainItems(2000, 1, tok);
 */
export function pretrainItems(n: number, seed: number, tok: Tokenizer, size = 32, opts: { perSequence?: boolean; groundPatch?: number } = {}): TrainItem[] {
  const rng = new Rng(seed);
  const metas = samplePrompts({ n: Math.ceil(n / 3), seed, domain: 'id' });
  const items: TrainItem[] = [];
  let k = 0;
  while (items.length < n) {
    const meta = metas[k++ % metas.length]!;
    const scene = sceneFor(meta, rng);
    const media = imageMedia(render(scene, { size }));
    const qas = visualQuestions(scene, rng);
    const labels = opts.groundPatch ? groundingLabels(scene, tok, size, opts.groundPatch) : undefined;
    const picks: { q: string; a: string }[] = [{ q: 'describe the image', a: captionScene(scene) }];
    for (const qa of qas.slice(0, 2)) picks.push({ q: qa.question, a: qa.answer });
    for (const p of picks) {
      if (items.length >= n) break;
      if (p.q === 'describe the image' && !rng.chance(CAPTION_SHARE * 2)) continue;
      const answer = [...tok.encode(p.a), EOS_ID];
      const spec = questionSpec(tok, p.q, media, answer, labels);
      // per sequence: each caption or question weighs the same in the loss (per token, long captions dominate)
      items.push({ kind: 'single', spec: opts.perSequence ? { ...spec, answerWeights: answer.map(() => 1 / answer.length) } : spec });
    }
  }
  return items;
}

/**
 * Auxiliary items trained beside a reward model's own (`rm train --mix`): 'pointwise' adds each
 * pair as pointwise yes/no questions to a pairwise model (judging one image is the skill a
 * comparison builds on); 'vqa' adds one visual question or caption per pair, so fine-tuning
 * keeps what pretraining taught (grounding targets included).
 * @example auxiliaryItems(['pointwise', 'vqa'], pairs, 'pairwise', ctx, tok, 0, 32)
 */
export function auxiliaryItems(tasks: readonly string[], pairs: readonly TrainPair[], paradigm: Paradigm, ctx: ContextOptions, tok: Tokenizer, seed: number, image: { imageSize: number; patch: number }): TrainItem[] {
  const out: TrainItem[] = [];
  for (const task of tasks) {
    if (task === 'pointwise') {
      if (paradigm !== 'pairwise') throw new ConfigError(`auxiliary 'pointwise' questions go with a pairwise model, not a ${paradigm} one`);
      out.push(...pairItems(pairs, 'pointwise', ctx, tok, seed + 1));
    } else if (task === 'vqa') out.push(...pretrainItems(pairs.length, seed + 2, tok, image.imageSize, { groundPatch: image.patch }));
    else throw new ConfigError(`unknown auxiliary task '${task}' (known: pointwise, vqa)`);
  }
  return out;
}
