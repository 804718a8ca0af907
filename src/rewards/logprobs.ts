/**
 * Pure math for reading a yes/no reward out of token log-probabilities, as OpenAI-compatible
 * servers (vLLM, SGLang, OpenAI) return them: find the answer position in the generated
 * tokens, then sum the probability of every spelling of "yes" and of "no" among that
 * position's `top_logprobs` and normalise over the two.
 */
import type { CotMode } from './types.js';

/** One token with its log-probability. */
export interface LogprobEntry {
  readonly token: string;
  readonly logprob: number;
}

/** One generated position: the sampled token and the most likely alternatives there. */
export interface LogprobStep extends LogprobEntry {
  readonly top: readonly LogprobEntry[];
}

/** The marker that ends a reason-first rationale ("...\nAnswer: yes"); shared with context.ts. */
export const ANSWER_MARKER = 'Answer:';

/**
 * How many leading filler tokens (newlines, spaces, markdown '*') may come before the answer
 * word in answer-first modes. Chat models sometimes open with "\n" or "**"; more than this
 * means the model is not answering yes/no at all.
 */
export const MAX_LEADING_FILLER = 3;

/**
 * Leading byte-level / SentencePiece space markers some servers leave in token strings
 * (GPT-2 'Ġ' for a space, 'Ċ' for a newline, SentencePiece '▁').
 */
const SPACE_MARKERS = /^[\u0120\u010a\u2581\s]+/u;
/** Punctuation and markup around an answer word that do not change it ("Yes.", "**no**"). */
const WRAPPING = /^[\s*_"'`.,:;!()[\]]+|[\s*_"'`.,:;!()[\]]+$/gu;

/** The word a token spells, lower-cased, without space markers or wrapping punctuation. */
export function tokenWord(token: string): string {
  return token.replace(SPACE_MARKERS, '').replace(WRAPPING, '').toLowerCase();
}

/**
 * Which answer a token spells: 'yes', 'no', or null. Counts every spelling variant
 * ("yes", "Yes", " yes", "YES", "Ġyes", "▁Yes", "Yes.").
 * @example answerOf(' Yes') // 'yes'
 */
export function answerOf(token: string): 'yes' | 'no' | null {
  const w = tokenWord(token);
  return w === 'yes' ? 'yes' : w === 'no' ? 'no' : null;
}

/** True for tokens that carry no word (whitespace, newlines, markdown emphasis). */
export function isFiller(token: string): boolean {
  return tokenWord(token) === '';
}

/** log(sum(exp(xs))), stable; -Infinity for an empty list. */
export function logSumExp(xs: readonly number[]): number {
  if (xs.length === 0) return -Infinity;
  const m = Math.max(...xs);
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (const x of xs) s += Math.exp(x - m);
  return m + Math.log(s);
}

/** The yes/no reading of one answer position. */
export interface YesNo {
  /** P(yes) / (P(yes) + P(no)). */
  readonly reward: number;
  /** P(yes) over the whole vocabulary (the summed probability of the listed yes spellings). */
  readonly pYesVocab: number;
  /** log P(yes) (summed over spellings); a log-probability is a logit up to a shared constant. */
  readonly logitYes: number;
  readonly logitNo: number;
  /** Whether any spelling of yes / no was listed (an unlisted side gets a bound, see below). */
  readonly sawYes: boolean;
  readonly sawNo: boolean;
}

/**
 * Reads P(yes) from one position's candidates (the sampled token plus `top`, each token
 * string counted once). Spellings of each answer are summed in probability space. When only
 * one side is listed, the other side's probability is bounded by the least likely listed
 * token (it would be listed otherwise), so the reward stays finite and errs towards 0.5.
 * Returns null when neither side is listed.
 * @example yesNoFromStep({ token: 'Yes', logprob: -0.1, top: [{ token: 'No', logprob: -2.4 }] })!.reward // ≈ 0.909
 */
export function yesNoFromStep(step: LogprobStep): YesNo | null {
  const seen = new Map<string, number>();
  for (const e of [step, ...step.top]) {
    if (!seen.has(e.token) && Number.isFinite(e.logprob)) seen.set(e.token, e.logprob);
  }
  const yes: number[] = [];
  const no: number[] = [];
  let floor = 0;
  for (const [token, lp] of seen) {
    floor = Math.min(floor, lp);
    const a = answerOf(token);
    if (a === 'yes') yes.push(lp);
    else if (a === 'no') no.push(lp);
  }
  if (yes.length === 0 && no.length === 0) return null;
  const logitYes = yes.length > 0 ? logSumExp(yes) : floor;
  const logitNo = no.length > 0 ? logSumExp(no) : floor;
  return {
    reward: sigmoid(logitYes - logitNo),
    pYesVocab: yes.length > 0 ? Math.min(1, Math.exp(logitYes)) : 0,
    logitYes,
    logitNo,
    sawYes: yes.length > 0,
    sawNo: no.length > 0,
  };
}

/** The logistic function, stable for large |x|. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** Where the answer sits in a generated sequence, and the rationale text around it. */
export interface AnswerLocation {
  /** Index into the steps; -1 when no answer position was found. */
  readonly index: number;
  /** Generated text that explains the decision (empty when CoT is off). */
  readonly rationale: string;
}

/**
 * Finds the answer position. Answer-first modes ('off', 'decision-first') read the first
 * word-bearing token (after at most MAX_LEADING_FILLER fillers). 'reason-first' reads the
 * first word-bearing token after the last ANSWER_MARKER in the generated text; without a
 * marker it falls back to the last token that spells yes or no.
 * @example findAnswer(steps, 'reason-first') // { index: 17, rationale: 'The circle is red...' }
 */
export function findAnswer(steps: readonly LogprobStep[], cot: CotMode): AnswerLocation {
  const text = steps.map((s) => s.token).join('');
  if (cot !== 'reason-first') {
    for (let i = 0; i < steps.length && i <= MAX_LEADING_FILLER; i++) {
      if (!isFiller(steps[i]!.token)) {
        const rest = steps.slice(i + 1).map((s) => s.token).join('');
        return { index: i, rationale: cot === 'off' ? '' : rest.replace(/^[\s.,:;!*-]+/u, '').trim() };
      }
    }
    return { index: -1, rationale: '' };
  }
  const at = text.toLowerCase().lastIndexOf(ANSWER_MARKER.toLowerCase());
  if (at >= 0) {
    const end = at + ANSWER_MARKER.length;
    let offset = 0;
    for (let i = 0; i < steps.length; i++) {
      const start = offset;
      offset += steps[i]!.token.length;
      // The first word-bearing token that starts at or after the marker's end.
      if (start >= end && !isFiller(steps[i]!.token)) {
        return { index: i, rationale: text.slice(0, at).trim() };
      }
    }
    return { index: -1, rationale: text.slice(0, at).trim() };
  }
  for (let i = steps.length - 1; i >= 0; i--) {
    if (answerOf(steps[i]!.token) !== null) {
      return { index: i, rationale: steps.slice(0, i).map((s) => s.token).join('').trim() };
    }
  }
  return { index: -1, rationale: text.trim() };
}
