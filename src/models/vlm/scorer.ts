/**
 * Reading rewards off the tiny VLM: P(yes) at <ans> normalised over {yes, no} and over the
 * vocabulary, the scalar head for the Bradley-Terry baseline, shared-prefix scoring of many
 * candidates against one reference through a key/value cache, and greedy decoding for
 * reason-first chain of thought.
 */
import { ANS_ID, EOS_ID, Tokenizer } from '../../data/tokenizer.js';
import { noGrad, tensor, tidy, type Tensor } from '../../tensor/index.js';
import type { VlmConfig } from './config.js';
import { TinyVlm } from './model.js';
import { questionSegments, type ContextOptions, type VlmQuestion } from './prompting.js';
import { buildBatch, groupByLayout, mediaSegment, type SequenceSpec } from './sequence.js';

/** How a checkpoint turns hidden states into a reward. */
export type Paradigm = 'pairwise' | 'pointwise' | 'bt';

/** One generated token with its log-probability and the most probable alternatives. */
export interface GeneratedStep {
  readonly id: number;
  readonly logprob: number;
  readonly top: readonly { id: number; logprob: number }[];
}

export interface VlmScore {
  readonly reward: number;
  readonly pYesVocab: number;
  readonly logitYes: number;
  readonly logitNo: number;
  readonly rationale?: string;
}

/**
 * Scores of the Bradley-Terry head: the reward is sigmoid(s); with no vocabulary, pYesVocab is
 * the same value and s stands in as the yes logit against a zero no logit.
 */
function btScores(values: readonly number[]): VlmScore[] {
  return values.map((v) => {
    const p = 1 / (1 + Math.exp(-v));
    return { reward: p, pYesVocab: p, logitYes: v, logitNo: 0 };
  });
}

/** Longest rationale decoded for reason-first CoT. */
export const MAX_RATIONALE_TOKENS = 40;

export class VlmScorer {
  readonly tok: Tokenizer;
  readonly yesId: number;
  readonly noId: number;

  constructor(readonly model: TinyVlm, readonly paradigm: Paradigm, readonly context: ContextOptions) {
    this.tok = new Tokenizer(model.config.vocab.slice(5));
    this.yesId = this.tok.id('yes');
    this.noId = this.tok.id('no');
  }

  get config(): VlmConfig {
    return this.model.config;
  }

  private fromLogits(logits: Tensor): VlmScore[] {
    // logits (B, V)
    const lp = logits.logSoftmax(-1);
    const yes = logits.select(1, this.yesId).toList();
    const no = logits.select(1, this.noId).toList();
    const pv = lp.select(1, this.yesId).exp().toList();
    return yes.map((y, i) => {
      const n = no[i]!;
      return { reward: 1 / (1 + Math.exp(n - y)), pYesVocab: pv[i]!, logitYes: y, logitNo: n };
    });
  }

  /** Scores questions (grouped into same-layout batches of at most `batchSize`). */
  score(questions: readonly VlmQuestion[], batchSize = 64): VlmScore[] {
    this.model.eval();
    const specs = questions.map((q, i) => ({ i, segments: questionSegments(q, this.context, this.tok), answer: [] as number[] }));
    const out: VlmScore[] = new Array<VlmScore>(questions.length);
    for (const group of groupByLayout(specs)) {
      for (let s = 0; s < group.length; s += batchSize) {
        const chunk = group.slice(s, s + batchSize);
        const scores = noGrad(() =>
          tidy(() => {
            const batch = buildBatch(chunk, this.config);
            const h = this.model.ansHidden(batch); // (B, D)
            if (this.paradigm === 'bt') {
              const r = this.model.scalarReward(h).toList();
              return btScores(r);
            }
            if (this.context.cot === 'reason-first') return chunk.map((c) => this.reasonFirst(c));
            return this.fromLogits(this.model.logits(h));
          }),
        );
        chunk.forEach((c, k) => (out[c.i] = scores[k]!));
      }
    }
    return out;
  }

  /** Reason-first: greedy-decode the rationale (KV cache), then read P(yes) after "answer". */
  private reasonFirst(spec: SequenceSpec): VlmScore {
    const batch = buildBatch([{ segments: spec.segments, answer: [] }], this.config);
    const prefix = this.model.prefixCache(batch.segments);
    const answerWord = this.tok.id('answer');
    let cache = prefix.cache;
    let pos = prefix.length;
    let logits = this.model.logits(prefix.last); // (1, V): predicts the first rationale token
    const generated: number[] = [];
    const feed = (token: number): void => {
      const x = this.model.embedAnswer(tensor([token], [1, 1], 'int64'), generated.length);
      const r = this.model.forwardWithPrefix(cache, pos, [{ x, length: 1 }]);
      cache = r.cache;
      pos += 1;
      logits = this.model.logits(r.hidden.select(1, 0));
    };
    for (let step = 0; step < MAX_RATIONALE_TOKENS; step++) {
      const next = logits.argmax(-1).item();
      if (next === EOS_ID || next === this.yesId || next === this.noId) break;
      generated.push(next);
      feed(next);
      if (next === answerWord) break;
    }
    if (generated.at(-1) !== answerWord) {
      // the rationale did not reach "answer": append it so the decision is still read in place
      generated.push(answerWord);
      feed(answerWord);
    }
    const s = this.fromLogits(logits)[0]!;
    return { ...s, rationale: this.tok.decode(generated.slice(0, -1)) };
  }

  /**
   * Greedy generation after <ans> with log-probabilities: each step's chosen token and the
   * `topK` most probable alternatives (for OpenAI-style `logprobs`/`top_logprobs`).
   */
  generate(question: VlmQuestion, maxTokens: number, topK: number): { tokens: GeneratedStep[]; finishReason: 'stop' | 'length'; promptTokens: number } {
    this.model.eval();
    return noGrad(() =>
      tidy(() => {
        const batch = buildBatch([{ segments: questionSegments(question, this.context, this.tok), answer: [] }], this.config);
        const prefix = this.model.prefixCache(batch.segments);
        let cache = prefix.cache;
        let pos = prefix.length;
        let logits = this.model.logits(prefix.last); // (1, V)
        const tokens: GeneratedStep[] = [];
        for (let step = 0; step < maxTokens; step++) {
          const lp = logits.logSoftmax(-1).select(0, 0);
          const [vals, idx] = lp.topk(Math.max(1, Math.min(topK, this.tok.size)), 0);
          const top = idx.toList().map((id, i) => ({ id, logprob: vals.toList()[i]! }));
          const next = top[0]!.id;
          tokens.push({ id: next, logprob: top[0]!.logprob, top: top.slice(0, topK) });
          if (next === EOS_ID || (this.context.cot === 'off' && (next === this.yesId || next === this.noId))) return { tokens, finishReason: 'stop' as const, promptTokens: prefix.length };
          const x = this.model.embedAnswer(tensor([next], [1, 1], 'int64'), step + 1);
          const r = this.model.forwardWithPrefix(cache, pos, [{ x, length: 1 }]);
          cache = r.cache;
          pos += 1;
          logits = this.model.logits(r.hidden.select(1, 0));
        }
        return { tokens, finishReason: 'length' as const, promptTokens: prefix.length };
      }),
    );
  }

  /**
   * Scores many candidates against one shared prefix (instruction, prompt, reference): the
   * prefix runs once and its keys/values are reused, with the same results as `score`. Each
   * chunk of candidates is one batch over the prefix's cache (`TinyVlm.forwardToLast`: image
   * tokens and <ans> together, the prefix broadcast to the rows, only the work <ans> needs).
   */
  scoreShared(question: Omit<VlmQuestion, 'candidate'>, candidates: readonly VlmQuestion['candidate'][], batchSize = 64): VlmScore[] {
    this.model.eval();
    if (candidates.length === 0) return [];
    // reason-first reads P(yes) after a rationale decoded per candidate: nothing to share past the prefix
    if (this.context.cot === 'reason-first') return this.score(candidates.map((candidate) => ({ ...question, candidate })), batchSize);
    const first = { ...question, candidate: candidates[0]! } as VlmQuestion;
    const segs = questionSegments(first, this.context, this.tok);
    const last = segs.at(-1)!;
    if (last.kind !== 'media' || last.role !== 'candidate') throw new Error('scoreShared: the candidate must be the last segment before <ans>');
    const out: VlmScore[] = [];
    noGrad(() =>
      tidy(() => {
        // the shared part: every segment before the candidate (buildBatch appends [<ans>]; drop it)
        const prefixBatch = buildBatch([{ segments: segs.slice(0, -1), answer: [] }], this.config);
        const prefix = this.model.prefixKeys(prefixBatch.segments.slice(0, -1));
        const ans = this.model.embedAnswer(tensor([ANS_ID], [1, 1], 'int64'), 0); // (1, 1, D)
        for (let s = 0; s < candidates.length; s += batchSize) {
          tidy(() => {
            const chunk = candidates.slice(s, s + batchSize);
            const b = chunk.length;
            const cand = this.model.embedSegment(mediaSegment(chunk, 'candidate', this.config)); // (B, Tc, D)
            const h = this.model.forwardToLast(prefix.cache, cand, ans.expand(b, 1, ans.shape[2]!)); // (B, D) at <ans>
            out.push(...(this.paradigm === 'bt' ? btScores(this.model.scalarReward(h).toList()) : this.fromLogits(this.model.logits(h))));
          });
        }
      }),
    );
    return out;
  }
}
