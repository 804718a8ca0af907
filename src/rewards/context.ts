/**
 * The RewardDance instruction: how a reward query becomes a prompt for a vision-language
 * model. Pairwise prompts come from the one template in data/export/template.ts (the SFT
 * exporter writes the same text), with media filled into its slots and optional in-context
 * examples after its opening line; pointwise prompts follow the same layout with a one-media
 * question. The remote client and the local VLM both render from here, so a model trained on
 * exported data is prompted identically when it is served.
 */
import { InputError } from '../errors.js';
import { type Media } from '../data/image.js';
import { criteriaText as templateCriteriaText, pairwiseAnswer, pairwiseParts, DEFAULT_PLACEHOLDERS, type Placeholders } from '../data/export/template.js';
import type { Task } from '../data/manifest.js';
import type { CotMode, RewardExample, RewardMode, RewardQuery } from './types.js';

/** What a media part shows. */
export type MediaRole = 'condition' | 'reference' | 'candidate' | 'example-reference' | 'example-candidate';

/** One part of the user turn: text, or media (an image, or a video's frames in order). */
export type ContextPart = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'media'; readonly role: MediaRole; readonly media: Media };

/** The criterion used when a query names none (what GenEval-style evaluation measures). */
export const DEFAULT_CRITERION = 'alignment';

/**
 * The answer instruction that ends a prompt; must equal the template's wording (a test
 * checks that every pairwise prompt ends with it).
 */
export const ANSWER_INSTRUCTION: Readonly<Record<CotMode, string>> = {
  off: 'Answer "yes" or "no" only.',
  'decision-first': 'Answer "yes" or "no" first, then give a short reason after "because".',
  'reason-first': 'Give a short reason first, then end with "Answer: yes" or "Answer: no".',
};

/** "image" for text-to-image, "video" otherwise. */
export function mediaNoun(task: Task): string {
  return task === 't2i' ? 'image' : 'video';
}

/** The criteria text (the template's descriptions for named criteria); empty is an InputError. */
export function criteriaText(criteria: string | undefined): string {
  const c = (criteria ?? DEFAULT_CRITERION).trim();
  if (c === '') throw new InputError('criteria is empty; pass a criterion (alignment, quality, motion, consistency) or a sentence');
  return templateCriteriaText(c);
}

/**
 * The text a model answers with (the SFT target; the template's `pairwiseAnswer`).
 * @example answerText(true, 'reason-first', 'The circle is red.') // 'The circle is red. Answer: yes'
 */
export function answerText(answer: boolean, cot: CotMode = 'off', rationale?: string): string {
  return pairwiseAnswer(answer, rationale === undefined ? { cot } : { cot, rationale });
}

/** The in-context examples as parts: prompt, media, and the answer the model should give. */
function exampleParts(examples: readonly RewardExample[], mode: RewardMode, noun: string, cot: CotMode): ContextPart[] {
  const parts: ContextPart[] = [];
  examples.forEach((ex, k) => {
    parts.push({ kind: 'text', text: `Example ${k + 1} of ${examples.length}. Prompt: ${ex.prompt.trim()}\n` });
    if (mode === 'pairwise') {
      if (!ex.reference) throw new InputError(`in-context example ${k + 1} has no reference ${noun}; a pairwise reward needs one in every example`);
      parts.push({ kind: 'text', text: `Reference ${noun}: ` }, { kind: 'media', role: 'example-reference', media: ex.reference }, { kind: 'text', text: '\n' });
    }
    parts.push({ kind: 'text', text: `Candidate ${noun}: ` }, { kind: 'media', role: 'example-candidate', media: ex.candidate });
    parts.push({ kind: 'text', text: `\nAnswer: ${answerText(ex.answer, cot, ex.rationale)}\n` });
  });
  if (examples.length > 0) parts.push({ kind: 'text', text: 'Now the query.\n' });
  return parts;
}

/** The pointwise prompt, laid out like the pairwise template with a one-media question. */
function pointwiseParts(q: RewardQuery, cot: CotMode): ContextPart[] {
  const noun = mediaNoun(q.task);
  const generation = q.task === 't2i' ? 'text-to-image' : q.task === 't2v' ? 'text-to-video' : 'image-to-video';
  const parts: ContextPart[] = [
    { kind: 'text', text: `You are a reward model judging ${generation} generation. Rate one ${noun} made for a prompt.\n` },
    { kind: 'text', text: `Criteria: ${criteriaText(q.criteria)}.\nPrompt: ${q.prompt}\n` },
  ];
  if (q.condition) {
    parts.push({ kind: 'text', text: 'Condition image (the first frame the video starts from): ' }, { kind: 'media', role: 'condition', media: { kind: 'image', image: q.condition } }, { kind: 'text', text: '\n' });
  }
  parts.push(
    { kind: 'text', text: `Candidate ${noun}: ` },
    { kind: 'media', role: 'candidate', media: q.candidate },
    { kind: 'text', text: `\nDoes the candidate ${noun} meet these criteria well? ${ANSWER_INSTRUCTION[cot]}` },
  );
  return parts;
}

/**
 * Builds the user turn for a query, in the order the model sees it; adjacent text runs are
 * concatenated. Pairwise: the template's parts with media filled in.
 * @example buildContext({ task: 't2i', prompt: 'a red circle', candidate, reference }, 'pairwise')
 */
export function buildContext(q: RewardQuery, mode: RewardMode): ContextPart[] {
  if (q.prompt.trim() === '') throw new InputError('the text prompt is empty; pass the prompt the media was generated from');
  const noun = mediaNoun(q.task);
  const cot = q.cot ?? 'off';
  let parts: ContextPart[];
  if (mode === 'pairwise') {
    const reference = q.reference;
    if (!reference) throw new InputError(`a pairwise reward needs a reference ${noun}; pass one or use a pointwise model`);
    if (q.task === 'i2v' && !q.condition) throw new InputError('an i2v pairwise query needs its condition image (the first frame); pass it or use task t2v');
    criteriaText(q.criteria); // validates; the template describes named criteria itself
    parts = pairwiseParts((q.criteria ?? DEFAULT_CRITERION).trim(), q.prompt, { task: q.task, cot }).map((p): ContextPart => {
      if (p.type === 'text') return { kind: 'text', text: p.text };
      if (p.slot === 'condition') return { kind: 'media', role: 'condition', media: { kind: 'image', image: q.condition! } };
      return { kind: 'media', role: p.slot, media: p.slot === 'reference' ? reference : q.candidate };
    });
  } else {
    parts = pointwiseParts(q, cot);
  }
  // In-context examples go after the opening line, before the criteria and the query.
  const examples = exampleParts(q.examples ?? [], mode, noun, cot);
  return mergeText([parts[0]!, ...examples, ...parts.slice(1)]);
}

/** Concatenates runs of text parts. */
function mergeText(parts: readonly ContextPart[]): ContextPart[] {
  const out: ContextPart[] = [];
  for (const p of parts) {
    const last = out[out.length - 1];
    if (p.kind === 'text' && last?.kind === 'text') out[out.length - 1] = { kind: 'text', text: last.text + p.text };
    else out.push(p);
  }
  return out;
}

/**
 * The user turn as one string with a placeholder per media item (`<image>` for images and
 * the condition, `<video>` for videos): for a pairwise query without examples this is
 * exactly the template's `pairwiseInstruction`, the text SFT export writes.
 * @example renderContextText(buildContext(q, 'pairwise')) // 'You are a reward model judging...Reference image: <image>\n...'
 */
export function renderContextText(parts: readonly ContextPart[], placeholders: Placeholders = DEFAULT_PLACEHOLDERS): string {
  return parts.map((p) => (p.kind === 'text' ? p.text : p.media.kind === 'image' ? placeholders.image : placeholders.video)).join('');
}

/** The media of a context in order (what fills the placeholders). */
export function contextMedia(parts: readonly ContextPart[]): Media[] {
  return parts.flatMap((p) => (p.kind === 'media' ? [p.media] : []));
}
