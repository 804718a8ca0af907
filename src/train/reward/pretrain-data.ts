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
import type { TrainItem } from './data.js';

/** The tiny VLM's vocabulary: instruction words and every word the world writes. */
export function defaultVocabulary(): string[] {
  return [...new Set([...VLM_WORDS, ...WORLD_WORDS])];
}

/** A question about an image as a sequence: [<bos> question : ...] [image] -> answer. */
export function questionSpec(tok: Tokenizer, question: string, media: Media, answer: number[]): SequenceSpec {
  return { segments: [{ kind: 'text', role: 'prompt', ids: [BOS_ID, ...tok.encode(`question : ${question}`)] }, { kind: 'media', role: 'candidate', media }], answer };
}

/** Share of items that are captions (the rest are visual questions). */
export const CAPTION_SHARE = 0.3;

/**
 * `n` pretraining sequences from fresh scenes (train-domain prompts, distractors included).
 * With `perSequence`, answer-token weights make every sequence count equally in the loss.
 * @example const items = pretrainItems(2000, 1, tok);
 */
export function pretrainItems(n: number, seed: number, tok: Tokenizer, size = 32, opts: { perSequence?: boolean } = {}): TrainItem[] {
  const rng = new Rng(seed);
  const metas = samplePrompts({ n: Math.ceil(n / 3), seed, domain: 'id' });
  const items: TrainItem[] = [];
  let k = 0;
  while (items.length < n) {
    const meta = metas[k++ % metas.length]!;
    const scene = sceneFor(meta, rng);
    const media = imageMedia(render(scene, { size }));
    const qas = visualQuestions(scene, rng);
    const picks: { q: string; a: string }[] = [{ q: 'describe the image', a: captionScene(scene) }];
    for (const qa of qas.slice(0, 2)) picks.push({ q: qa.question, a: qa.answer });
    for (const p of picks) {
      if (items.length >= n) break;
      if (p.q === 'describe the image' && !rng.chance(CAPTION_SHARE * 2)) continue;
      const answer = [...tok.encode(p.a), EOS_ID];
      const spec = questionSpec(tok, p.q, media, answer);
      // per sequence: each caption or question weighs the same in the loss (per token, long captions dominate)
      items.push({ kind: 'single', spec: opts.perSequence ? { ...spec, answerWeights: answer.map(() => 1 / answer.length) } : spec });
    }
  }
  return items;
}
