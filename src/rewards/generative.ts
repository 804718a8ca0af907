/**
 * Local reward models over the tiny VLM: generative pairwise (P(yes) that the candidate beats
 * the reference), generative pointwise (P(yes) that the candidate is good), and the
 * Bradley-Terry scalar head, all loaded from one checkpoint folder whose config names the
 * paradigm and the context it was trained with.
 */
import { basename } from 'node:path';
import { CheckpointError, InputError } from '../errors.js';
import { loadWeights, readCheckpointConfig } from '../nn/index.js';
import { vlmConfigFromJson } from '../models/vlm/config.js';
import { TinyVlm } from '../models/vlm/model.js';
import { DEFAULT_CONTEXT, type ContextOptions, type VlmQuestion } from '../models/vlm/prompting.js';
import { VlmScorer, type Paradigm, type VlmScore } from '../models/vlm/scorer.js';
import { mediaFrames } from '../data/image.js';
import type { ChatCompletion, ChatRequest } from '../serve/chat-model.js';
import { LocalVlmChatModel } from './chat-adapter.js';
import type { RewardModel, RewardQuery, RewardResult } from './types.js';

const PARADIGMS: readonly Paradigm[] = ['pairwise', 'pointwise', 'bt'];

/** Reads a VLM checkpoint: model, paradigm and context. */
export function loadVlmCheckpoint(dir: string): { model: TinyVlm; paradigm: Paradigm; context: ContextOptions } {
  const raw = readCheckpointConfig(dir);
  if (raw.kind !== 'rd-vlm') throw new CheckpointError(`${dir}: config kind is '${String(raw.kind)}', expected 'rd-vlm' (a rewarddance VLM checkpoint)`);
  const paradigm = (raw.paradigm ?? 'pairwise') as Paradigm;
  if (!PARADIGMS.includes(paradigm)) throw new CheckpointError(`${dir}: unknown paradigm '${String(raw.paradigm)}'`);
  const context = { ...DEFAULT_CONTEXT, ...((raw.context as Partial<ContextOptions> | undefined) ?? {}) };
  const model = new TinyVlm(vlmConfigFromJson(raw));
  loadWeights(dir, model);
  model.eval();
  return { model, paradigm, context };
}

/**
 * Indices of questions grouped by shared prefix: same task, prompt and criteria, the same
 * reference, condition and examples (by identity: a batch scored against one reference object),
 * and candidates of one shape (image, or video of one frame count).
 */
export function prefixGroups(questions: readonly VlmQuestion[]): number[][] {
  const ids = new Map<object, number>();
  const idOf = (o: object | undefined): number => {
    if (o === undefined) return -1;
    let id = ids.get(o);
    if (id === undefined) ids.set(o, (id = ids.size));
    return id;
  };
  const groups = new Map<string, number[]>();
  questions.forEach((q, i) => {
    const key = JSON.stringify([q.task, q.prompt, q.criteria, idOf(q.reference), idOf(q.condition), idOf(q.examples), q.candidate.kind, mediaFrames(q.candidate).length]);
    const g = groups.get(key);
    if (g) g.push(i);
    else groups.set(key, [i]);
  });
  return [...groups.values()];
}

/** A local VLM (or its BT head) behind the reward protocol. */
export class LocalVlmRewardModel implements RewardModel {
  readonly mode: 'pairwise' | 'pointwise';
  readonly scorer: VlmScorer;

  constructor(readonly id: string, model: TinyVlm, paradigm: Paradigm, context: ContextOptions) {
    this.scorer = new VlmScorer(model, paradigm, context);
    this.mode = paradigm === 'pairwise' ? 'pairwise' : 'pointwise';
  }

  /** Loads a checkpoint folder; the model id is the folder's name. */
  static load(dir: string): LocalVlmRewardModel {
    const { model, paradigm, context } = loadVlmCheckpoint(dir);
    return new LocalVlmRewardModel(basename(dir.replace(/\/+$/, '')), model, paradigm, context);
  }

  private question(q: RewardQuery, i: number): VlmQuestion {
    if (this.mode === 'pairwise' && !q.reference) throw new InputError(`query ${i}: this pairwise model needs a reference image (pass --reference, or use a pointwise model)`);
    return {
      task: q.task,
      prompt: q.prompt,
      criteria: q.criteria ?? 'alignment',
      candidate: q.candidate,
      reference: this.mode === 'pairwise' ? q.reference : undefined,
      condition: q.condition,
      examples: q.examples,
    };
  }

  /**
   * Scores a batch. Queries that share everything before the candidate (task, prompt,
   * criteria, the same reference, condition and examples objects) and a candidate shape are
   * scored through one shared prefix (`VlmScorer.scoreShared`: the prefix runs once, the
   * candidates as one batch over its cached keys and values); the rest as one batch.
   */
  async score(queries: readonly RewardQuery[]): Promise<RewardResult[]> {
    await Promise.resolve();
    const t0 = performance.now();
    const questions = queries.map((q, i) => this.question(q, i));
    const scores = new Array<VlmScore>(questions.length);
    const rest: number[] = [];
    for (const group of prefixGroups(questions)) {
      if (group.length < 2) {
        rest.push(...group);
        continue;
      }
      const { candidate: _first, ...shared } = questions[group[0]!]!;
      this.scorer.scoreShared(shared, group.map((i) => questions[i]!.candidate)).forEach((s, k) => (scores[group[k]!] = s));
    }
    if (rest.length > 0) this.scorer.score(rest.map((i) => questions[i]!)).forEach((s, k) => (scores[rest[k]!] = s));
    const ms = (performance.now() - t0) / Math.max(1, queries.length);
    return scores.map((s) => ({ ...s, ms }));
  }

  /** OpenAI-style chat completion over the RewardDance prompt (see chat-adapter.ts); lets the server expose this model on /v1/chat/completions. */
  complete(requests: readonly ChatRequest[]): Promise<ChatCompletion[]> {
    this.chat ??= new LocalVlmChatModel(this);
    return this.chat.complete(requests);
  }

  private chat: LocalVlmChatModel | undefined;

  close(): void {
    this.scorer.model.dispose();
  }
}

