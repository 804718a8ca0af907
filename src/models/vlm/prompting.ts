/**
 * How the tiny VLM reads a reward question: task-aware instruction (criterion named), prompt,
 * optional in-context examples, the condition (i2v), the reference (pairwise) and the candidate,
 * then <ans>. Answers: "yes"/"no" alone, decision-first ("yes because ..."), or reason-first
 * ("... answer yes"). All words come from a closed vocabulary (VLM_WORDS + the world's words).
 */
import type { Media, RgbImage } from '../../data/image.js';
import { EOS_ID, type Tokenizer } from '../../data/tokenizer.js';
import type { Segment, SequenceSpec } from './sequence.js';

/** Words the instructions and answers use beyond the world's own. */
export const VLM_WORDS = (
  'task t2i t2v i2v criteria alignment quality motion consistency is the candidate better than reference for prompt good ' +
  'question describe image video example answer yes no because so : ?'
).split(' ');

/** Which context elements a model reads (the context-scaling ablations). */
export interface ContextOptions {
  /** Name the task and criterion in an instruction. */
  readonly instruction: boolean;
  /** Show a reference (pairwise); false is pointwise. */
  readonly reference: boolean;
  /** In-context solved examples before the query. */
  readonly examples: number;
  readonly cot: 'off' | 'decision-first' | 'reason-first';
}

export const DEFAULT_CONTEXT: ContextOptions = { instruction: true, reference: true, examples: 0, cot: 'off' };

/** What one reward question holds (a structural subset of the reward protocol's query). */
export interface VlmQuestion {
  readonly task: string;
  readonly prompt: string;
  readonly criteria: string;
  readonly candidate: Media;
  readonly reference?: Media;
  readonly condition?: RgbImage;
  readonly examples?: readonly { readonly prompt: string; readonly reference?: Media; readonly candidate: Media; readonly answer: boolean }[];
}

function instructionText(q: VlmQuestion, ctx: ContextOptions): string {
  const head = ctx.instruction ? `task ${q.task} criteria ${q.criteria} : ` : '';
  const ask = ctx.instruction ? (ctx.reference ? 'is the candidate better than the reference for the prompt ? ' : 'is the candidate good for the prompt ? ') : '';
  return `${head}${ask}prompt : ${q.prompt}`;
}

/** Prefix segments of a question (everything before <ans>). */
export function questionSegments(q: VlmQuestion, ctx: ContextOptions, tok: Tokenizer): Segment[] {
  const segs: Segment[] = [{ kind: 'text', role: 'prompt', ids: [1, ...tok.encode(instructionText(q, ctx))] }];
  for (const ex of (q.examples ?? []).slice(0, ctx.examples)) {
    segs.push({ kind: 'text', role: 'text', ids: tok.encode(`example prompt : ${ex.prompt}`) });
    if (ctx.reference && ex.reference) segs.push({ kind: 'media', role: 'example-reference', media: ex.reference });
    segs.push({ kind: 'media', role: 'example-candidate', media: ex.candidate });
    segs.push({ kind: 'text', role: 'text', ids: tok.encode(`answer ${ex.answer ? 'yes' : 'no'}`) });
  }
  if (q.condition) segs.push({ kind: 'media', role: 'condition', media: { kind: 'image', image: q.condition } });
  if (ctx.reference) {
    if (!q.reference) throw new Error('a pairwise question needs a reference');
    segs.push({ kind: 'media', role: 'reference', media: q.reference });
  }
  segs.push({ kind: 'media', role: 'candidate', media: q.candidate });
  return segs;
}

/** Weight of rationale tokens relative to the decision token in the loss. */
export const RATIONALE_WEIGHT = 0.3;

/**
 * Answer tokens for a label: decision-first puts yes/no first (RL reads it without generating),
 * reason-first puts it after the rationale and the word "answer".
 */
export function answerTokens(yes: boolean, rationale: string | undefined, ctx: ContextOptions, tok: Tokenizer): { ids: number[]; weights: number[] } {
  const decision = tok.id(yes ? 'yes' : 'no');
  if (ctx.cot === 'off' || !rationale) return { ids: [decision], weights: [1] };
  const words = tok.encode(rationale);
  if (ctx.cot === 'decision-first') {
    const ids = [decision, tok.id('because'), ...words, EOS_ID];
    return { ids, weights: ids.map((_, i) => (i === 0 ? 1 : RATIONALE_WEIGHT)) };
  }
  const ids = [...words, tok.id('answer'), decision, EOS_ID];
  return { ids, weights: ids.map((_, i) => (i === ids.length - 2 ? 1 : RATIONALE_WEIGHT)) };
}

/** Index within the answer at which the decision token is predicted. */
export function decisionIndex(ctx: ContextOptions, answerLength: number): number {
  return ctx.cot === 'reason-first' ? answerLength - 2 : 0;
}

/** A full training sequence. */
export function trainingSequence(q: VlmQuestion, yes: boolean, rationale: string | undefined, ctx: ContextOptions, tok: Tokenizer): SequenceSpec {
  const a = answerTokens(yes, rationale, ctx, tok);
  return { segments: questionSegments(q, ctx, tok), answer: a.ids, answerWeights: a.weights };
}

/**
 * Rewrites a world rationale (which calls the chosen image "the first image") for the order in
 * which the model sees the images: reference first, candidate second.
 */
export function orientRationale(rationale: string, candidateIsChosen: boolean): string {
  if (!candidateIsChosen) return rationale;
  return rationale.replace(/\bthe (first|second) image\b/g, (_, w: string) => (w === 'first' ? 'the second image' : 'the first image'));
}
