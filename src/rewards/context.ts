/**
 * The RewardDance instruction: how a reward query becomes a prompt for a vision-language
 * model. One user turn of text and media parts (task, text prompt, criteria, in-context
 * examples, optional i2v condition, reference, candidate, the yes/no question and the CoT
 * instruction), plus the answer text a model is trained to produce. The remote client, the
 * local VLM and the SFT exporter all render from here, so a model trained on exported data
 * is prompted identically when it is served.
 */
import { InputError } from '../errors.js';
import { mediaFrames, type Media } from '../data/image.js';
import type { Task } from '../data/manifest.js';
import { ANSWER_MARKER } from './logprobs.js';
import type { CotMode, RewardExample, RewardMode, RewardQuery } from './types.js';

/** What a media part shows. */
export type MediaRole = 'condition' | 'reference' | 'candidate' | 'example-reference' | 'example-candidate';

/** One part of the user turn: text, or media (an image, or a video's frames in order). */
export type ContextPart = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'media'; readonly role: MediaRole; readonly media: Media };

/** Plain-language descriptions of the named criteria; free text passes through unchanged. */
export const CRITERIA_TEXT: Readonly<Record<string, string>> = {
  alignment: 'prompt alignment: the objects, their number, colours and positions match the text prompt',
  quality: 'visual quality: sharp, clean, well-formed shapes without artifacts or noise',
  motion: 'motion quality: smooth, plausible movement from frame to frame',
  consistency: 'temporal consistency: every object keeps its identity, colour and shape across frames',
};

/** The criterion used when a query names none (what GenEval-style evaluation measures). */
export const DEFAULT_CRITERION = 'alignment';

/** The image placeholder written by `renderContextText` (one per image or video frame). */
export const IMAGE_PLACEHOLDER = '<image>';

/** The CoT instruction that ends the user turn. */
const COT_INSTRUCTION: Readonly<Record<CotMode, string>> = {
  off: 'Answer with one word: yes or no.',
  'decision-first': 'Answer yes or no first, then explain your decision in one or two sentences.',
  'reason-first': `First explain your reasoning in one or two sentences, then end with a final line "${ANSWER_MARKER} yes" or "${ANSWER_MARKER} no".`,
};

/** "image" for text-to-image, "video" otherwise. */
export function mediaNoun(task: Task): string {
  return task === 't2i' ? 'image' : 'video';
}

/** The criteria sentence for a named criterion or free text; empty text is an InputError. */
export function criteriaText(criteria: string | undefined): string {
  const c = (criteria ?? DEFAULT_CRITERION).trim();
  if (c === '') throw new InputError('criteria is empty; pass a criterion (alignment, quality, motion, consistency) or a sentence');
  return CRITERIA_TEXT[c] ?? c;
}

/**
 * The text a model answers with: the training target of SFT and the format the answer
 * reader expects. 'off' is the bare word; 'decision-first' is the word, then the rationale;
 * 'reason-first' is the rationale, then `Answer: yes|no` on its own line.
 * @example answerText(true, 'reason-first', 'The circle is red.') // 'The circle is red.\nAnswer: yes'
 */
export function answerText(answer: boolean, cot: CotMode = 'off', rationale?: string): string {
  const word = answer ? 'yes' : 'no';
  const why = rationale?.trim() ?? '';
  if (cot === 'off' || why === '') return cot === 'reason-first' ? `${ANSWER_MARKER} ${word}` : word;
  return cot === 'decision-first' ? `${word}. ${why}` : `${why}\n${ANSWER_MARKER} ${word}`;
}

/** The question sentence for a mode. */
function question(mode: RewardMode, noun: string): string {
  return mode === 'pairwise'
    ? `Question: is the candidate ${noun} better than the reference ${noun} under the criteria?`
    : `Question: does the candidate ${noun} satisfy the criteria well?`;
}

/** Appends the reference/candidate block for one pair (query or example). */
function pushPair(parts: ContextPart[], mode: RewardMode, noun: string, candidate: Media, reference: Media | undefined, example: boolean): void {
  if (mode === 'pairwise') {
    if (!reference) throw new InputError(`a pairwise reward needs a reference ${noun}${example ? ' in every in-context example' : ''}; pass one or use a pointwise model`);
    parts.push({ kind: 'text', text: `Reference ${noun}:` }, { kind: 'media', role: example ? 'example-reference' : 'reference', media: reference });
  }
  parts.push({ kind: 'text', text: `Candidate ${noun}:` }, { kind: 'media', role: example ? 'example-candidate' : 'candidate', media: candidate });
}

/** The text block of one in-context example's answer. */
function exampleAnswer(ex: RewardExample, cot: CotMode): string {
  return `Answer: ${answerText(ex.answer, cot, ex.rationale)}`;
}

/**
 * Builds the user turn for a query, in the order the model sees it. Adjacent text lines are
 * merged into one part joined by newlines.
 * @example buildContext({ task: 't2i', prompt: 'a red circle', candidate, reference }, 'pairwise')
 */
export function buildContext(q: RewardQuery, mode: RewardMode): ContextPart[] {
  if (q.prompt.trim() === '') throw new InputError('the text prompt is empty; pass the prompt the media was generated from');
  const noun = mediaNoun(q.task);
  const cot = q.cot ?? 'off';
  const parts: ContextPart[] = [];
  parts.push({ kind: 'text', text: `You are an expert judge of AI-generated ${noun}s.` });
  parts.push({ kind: 'text', text: `Text prompt: "${q.prompt.trim()}"` });
  parts.push({ kind: 'text', text: `Criteria: ${criteriaText(q.criteria)}` });
  const examples = q.examples ?? [];
  examples.forEach((ex, k) => {
    parts.push({ kind: 'text', text: `Example ${k + 1} of ${examples.length}. Text prompt: "${ex.prompt.trim()}"` });
    pushPair(parts, mode, noun, ex.candidate, ex.reference, true);
    parts.push({ kind: 'text', text: exampleAnswer(ex, cot) });
  });
  if (examples.length > 0) parts.push({ kind: 'text', text: 'Now the query.' });
  if (q.condition) {
    parts.push({ kind: 'text', text: `Condition image (the first frame the ${noun} must start from):` });
    parts.push({ kind: 'media', role: 'condition', media: { kind: 'image', image: q.condition } });
  }
  pushPair(parts, mode, noun, q.candidate, q.reference, false);
  parts.push({ kind: 'text', text: question(mode, noun) });
  parts.push({ kind: 'text', text: COT_INSTRUCTION[cot] });
  return mergeText(parts);
}

/** Joins runs of text parts with newlines. */
function mergeText(parts: readonly ContextPart[]): ContextPart[] {
  const out: ContextPart[] = [];
  for (const p of parts) {
    const last = out[out.length - 1];
    if (p.kind === 'text' && last?.kind === 'text') out[out.length - 1] = { kind: 'text', text: `${last.text}\n${p.text}` };
    else out.push(p);
  }
  return out;
}

/**
 * The user turn as one string with IMAGE_PLACEHOLDER for every image and video frame, lines
 * joined by newlines: the form SFT formats (and tokenizers of the tiny VLM) take.
 * @example renderContextText(buildContext(q, 'pairwise')) // 'You are an expert judge...\nReference image:\n<image>\n...'
 */
export function renderContextText(parts: readonly ContextPart[], placeholder = IMAGE_PLACEHOLDER): string {
  return parts.map((p) => (p.kind === 'text' ? p.text : mediaFrames(p.media).map(() => placeholder).join('\n'))).join('\n');
}

/** The media of a context in order (what fills the placeholders). */
export function contextMedia(parts: readonly ContextPart[]): Media[] {
  return parts.flatMap((p) => (p.kind === 'media' ? [p.media] : []));
}
