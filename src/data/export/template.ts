/**
 * The RewardDance pairwise prompt: the one place its text lives. SFT export writes it with
 * `<image>`/`<video>` placeholders; remote OpenAI-compatible reward clients interleave real
 * image parts at the same positions (use `pairwiseParts`). Pure functions, no side effects, so
 * any layer may import it. Changing a word here changes what trained models expect: bump
 * TEMPLATE_VERSION when you do.
 */
import type { Task } from '../manifest.js';
import type { CotMode } from '../../rewards/types.js';

/** Version of the prompt text; exports record it so a served model can be matched to its prompt. */
export const TEMPLATE_VERSION = 1;

/** Where a media item sits in the prompt. */
export type MediaSlot = 'condition' | 'reference' | 'candidate';

/** The prompt as text runs and media slots, in order. */
export type PromptPart = { readonly type: 'text'; readonly text: string } | { readonly type: 'media'; readonly slot: MediaSlot };

/** What each named criterion asks the judge to look at. Other criteria text is used verbatim. */
export const CRITERIA_DESCRIPTIONS: Readonly<Record<string, string>> = {
  alignment: 'text alignment: how faithfully it shows what the prompt asks for (objects, counts, colours, positions)',
  quality: 'visual quality: sharp, clean, well-formed content without artifacts',
  motion: 'motion quality: smooth, plausible movement from frame to frame',
  consistency: 'temporal consistency: objects keep their identity, shape and colour across frames',
};

/** The answer words; remote clients sum the probability of their spelling variants. */
export const YES = 'yes';
export const NO = 'no';

/** Options for the instruction. */
export interface PairwiseTemplateOptions {
  /** t2i (images, default), t2v or i2v (videos). */
  readonly task?: Task;
  /** How the answer is laid out (default off: the answer word alone). */
  readonly cot?: CotMode;
}

/**
 * The criteria line: each comma-separated known name is described, anything else is kept
 * verbatim (free-text criteria for remote models).
 * @example criteriaText('alignment') // 'text alignment: how faithfully ...'
 */
export function criteriaText(criteria: string): string {
  const names = criteria.split(',').map((c) => c.trim()).filter((c) => c !== '');
  if (names.length > 0 && names.every((n) => n in CRITERIA_DESCRIPTIONS)) return names.map((n) => CRITERIA_DESCRIPTIONS[n]!).join('; ');
  return criteria.trim();
}

function answerInstruction(cot: CotMode): string {
  if (cot === 'decision-first') return `Answer "${YES}" or "${NO}" first, then give a short reason after "because".`;
  if (cot === 'reason-first') return `Give a short reason first, then end with "Answer: ${YES}" or "Answer: ${NO}".`;
  return `Answer "${YES}" or "${NO}" only.`;
}

/**
 * The pairwise instruction as text runs and media slots: condition (i2v only), then the
 * reference, then the candidate.
 * @example pairwiseParts('alignment', 'a red cube', { task: 't2i' }).filter((p) => p.type === 'media').map((p) => p.slot) // ['reference', 'candidate']
 */
export function pairwiseParts(criteria: string, prompt: string, opts: PairwiseTemplateOptions = {}): PromptPart[] {
  const task = opts.task ?? 't2i';
  const medium = task === 't2i' ? 'image' : 'video';
  const generation = task === 't2i' ? 'text-to-image' : task === 't2v' ? 'text-to-video' : 'image-to-video';
  const parts: PromptPart[] = [
    { type: 'text', text: `You are a reward model judging ${generation} generation. Compare two ${medium}s made for the same prompt.\n` },
    { type: 'text', text: `Criteria: ${criteriaText(criteria)}.\nPrompt: ${prompt}\n` },
  ];
  if (task === 'i2v') parts.push({ type: 'text', text: 'Condition image (the first frame both videos start from): ' }, { type: 'media', slot: 'condition' }, { type: 'text', text: '\n' });
  parts.push(
    { type: 'text', text: `Reference ${medium}: ` },
    { type: 'media', slot: 'reference' },
    { type: 'text', text: `\nCandidate ${medium}: ` },
    { type: 'media', slot: 'candidate' },
    { type: 'text', text: `\nIs the candidate ${medium} better than the reference ${medium} by these criteria? ${answerInstruction(opts.cot ?? 'off')}` },
  );
  return parts;
}

/** Placeholders written for media slots (LLaMA-Factory and ms-swift spell them the same). */
export interface Placeholders {
  readonly image: string;
  readonly video: string;
}
export const DEFAULT_PLACEHOLDERS: Placeholders = { image: '<image>', video: '<video>' };

/**
 * The pairwise instruction as one string with placeholders (the condition is always an image;
 * reference and candidate are videos for t2v and i2v).
 * @example pairwiseInstruction('alignment', 'a red cube') // '...Reference image: <image>\nCandidate image: <image>\n...'
 */
export function pairwiseInstruction(criteria: string, prompt: string, opts: PairwiseTemplateOptions & { readonly placeholders?: Placeholders } = {}): string {
  const ph = opts.placeholders ?? DEFAULT_PLACEHOLDERS;
  const video = (opts.task ?? 't2i') !== 't2i';
  return pairwiseParts(criteria, prompt, opts)
    .map((p) => (p.type === 'text' ? p.text : p.slot === 'condition' || !video ? ph.image : ph.video))
    .join('');
}

/**
 * The target answer: `yes`/`no` alone, `yes. because <rationale>` (decision-first) or
 * `<rationale> Answer: yes` (reason-first). Without a rationale the answer word stands alone.
 * @example pairwiseAnswer(true, { cot: 'decision-first', rationale: 'it has two cubes' }) // 'yes. because it has two cubes'
 */
export function pairwiseAnswer(yes: boolean, opts: { readonly cot?: CotMode; readonly rationale?: string } = {}): string {
  const word = yes ? YES : NO;
  const why = opts.rationale?.trim();
  if (!why || (opts.cot ?? 'off') === 'off') return word;
  if (opts.cot === 'decision-first') return `${word}. because ${why}`;
  return `${why} Answer: ${word}`;
}
