/**
 * The models a server holds: each served id maps to an optional RewardModel (for
 * `/v1/rewards`, `/v1/select`) and an optional ChatModel (for `/v1/chat/completions`), each
 * behind its own dynamic batcher. A failing batch is retried item by item so that one bad
 * query gets its own error instead of failing its batch-mates (unless the model is unavailable
 * as a whole: a hung or given-up worker fails the batch once). Models that can go down (a
 * model worker) report their state for `/healthz`.
 */
import type { RewardModel, RewardQuery, RewardResult } from '../rewards/types.js';
import { errorMessage } from '../errors.js';
import { DynamicBatcher, type BatcherOptions } from './batching.js';
import type { ChatCompletion, ChatModel, ChatRequest } from './chat-model.js';
import { ModelCapabilityError, ModelNotFoundError, ModelUnavailableError } from './errors.js';
import type { ServerMetrics } from './metrics.js';

/** One model to serve under `id` (a checkpoint folder's name, as OpenAI's `model`). */
export interface ServedModel {
  readonly id: string;
  readonly reward?: RewardModel;
  readonly chat?: ChatModel;
}

/**
 * Where a served model stands: 'up' answers; 'restarting' (its worker died or hung, a fresh
 * one is loading: calls wait for it); 'down' (given up: calls answer 503 until the server is
 * restarted); 'closing' and 'closed' (shutdown).
 */
export type ModelState = 'up' | 'restarting' | 'down' | 'closing' | 'closed';

/** A model's state as `/healthz` reports it. */
export interface ModelHealth {
  readonly state: ModelState;
  /** Workers started after a crash or hang so far. */
  readonly restarts: number;
  /** Why the model is not up (absent when it is). */
  readonly reason?: string;
}

/** A model that can go down and says so (WorkerRewardModel); other models are always up. */
export interface ReportsHealth {
  health(): ModelHealth;
}

/** Whether `m` reports its health. */
export function reportsHealth(m: object): m is ReportsHealth {
  return typeof (m as Partial<ReportsHealth>).health === 'function';
}

/** One served model's health, named. */
export interface ServedHealth extends ModelHealth {
  readonly model: string;
}

/** A query's outcome from the batched path: a result or the error of that query alone. */
export type Scored = RewardResult | Error;

/** A served model with its batchers. */
export interface HostedModel {
  readonly id: string;
  readonly reward?: RewardModel;
  readonly chat?: ChatModel;
  readonly rewardBatcher?: DynamicBatcher<RewardQuery, Scored>;
  readonly chatBatcher?: DynamicBatcher<ChatRequest, ChatCompletion>;
}

/** Scores a batch; if the model throws, scores each query alone to find the one at fault. */
async function scoreIsolating(model: RewardModel, queries: RewardQuery[]): Promise<Scored[]> {
  try {
    const out = await model.score(queries);
    if (out.length !== queries.length) throw new Error(`model '${model.id}' returned ${out.length} results for ${queries.length} queries`);
    return out;
  } catch (err) {
    // Nothing a query did: retrying each alone would only repeat the wait (a hang) or the refusal.
    if (err instanceof ModelUnavailableError) return queries.map(() => err);
    if (queries.length === 1) return [err instanceof Error ? err : new Error(errorMessage(err))];
    const out: Scored[] = [];
    for (const q of queries) out.push(...(await scoreIsolating(model, [q])));
    return out;
  }
}

/**
 * Holds the served models and their batchers.
 *
 * @example
 * const reg = new ModelRegistry([{ id: 'rm-small', reward: model }], { maxBatch: 32 }, metrics);
 * const host = reg.get('rm-small');
 */
export class ModelRegistry {
  private readonly hosts = new Map<string, HostedModel>();
  readonly defaultId: string;

  constructor(models: readonly ServedModel[], batching: Partial<BatcherOptions>, metrics?: ServerMetrics) {
    if (models.length === 0) throw new RangeError('serve at least one model');
    for (const m of models) {
      if (this.hosts.has(m.id)) throw new RangeError(`two served models share the id '${m.id}'; ids are checkpoint folder names and must differ`);
      if (!m.reward && !m.chat) throw new RangeError(`served model '${m.id}' has neither a reward nor a chat model`);
      const reward = m.reward;
      const chat = m.chat;
      const rewardBatcher = reward
        ? new DynamicBatcher<RewardQuery, Scored>((qs) => scoreIsolating(reward, qs), batching, (e) => metrics?.observeBatch(m.id, e.size, e.ms / 1000, e.ok))
        : undefined;
      const chatBatcher = chat
        ? new DynamicBatcher<ChatRequest, ChatCompletion>((rs) => chat.complete(rs), batching, (e) => metrics?.observeBatch(`${m.id}:chat`, e.size, e.ms / 1000, e.ok))
        : undefined;
      if (rewardBatcher) metrics?.trackQueue(m.id, () => rewardBatcher.depth);
      if (chatBatcher) metrics?.trackQueue(`${m.id}:chat`, () => chatBatcher.depth);
      metrics?.trackHealth(m.id, () => this.healthOf(m.id));
      this.hosts.set(m.id, { id: m.id, reward, chat, rewardBatcher, chatBatcher });
    }
    this.defaultId = models[0]!.id;
  }

  /** Served ids, in the order given. */
  ids(): string[] {
    return [...this.hosts.keys()];
  }

  /** The model named `id` (the first served model when `id` is omitted); 404 when unknown. */
  get(id: string | undefined): HostedModel {
    const h = this.hosts.get(id ?? this.defaultId);
    if (!h) throw new ModelNotFoundError(id ?? '', this.ids());
    return h;
  }

  /** The reward side of model `id`, or a 400 naming what it lacks. */
  rewardOf(id: string | undefined): HostedModel & { reward: RewardModel; rewardBatcher: DynamicBatcher<RewardQuery, Scored> } {
    const h = this.get(id);
    if (!h.reward || !h.rewardBatcher) throw new ModelCapabilityError(h.id, 'reward scoring (it is a chat-only model)');
    return h as HostedModel & { reward: RewardModel; rewardBatcher: DynamicBatcher<RewardQuery, Scored> };
  }

  /** The chat side of model `id`, or a 400 naming what it lacks. */
  chatOf(id: string | undefined): HostedModel & { chat: ChatModel; chatBatcher: DynamicBatcher<ChatRequest, ChatCompletion> } {
    const h = this.get(id);
    if (!h.chat || !h.chatBatcher) throw new ModelCapabilityError(h.id, 'chat completions (its implementation has no ChatModel.complete; see src/serve/chat-model.ts)');
    return h as HostedModel & { chat: ChatModel; chatBatcher: DynamicBatcher<ChatRequest, ChatCompletion> };
  }

  /**
   * Model `id`'s health: the first of its reward and chat models that is not up, else up.
   *
   * @example
   * reg.healthOf('rm-small'); // { state: 'restarting', restarts: 1, reason: "the model worker crashed ..." }
   */
  healthOf(id: string): ModelHealth {
    const h = this.get(id);
    let restarts = 0;
    for (const m of [h.reward, h.chat]) {
      if (!m || !reportsHealth(m)) continue;
      const health = m.health();
      if (health.state !== 'up') return health;
      restarts = Math.max(restarts, health.restarts);
    }
    return { state: 'up', restarts };
  }

  /** Every served model's health, in the order served. */
  health(): ServedHealth[] {
    return this.ids().map((model) => ({ model, ...this.healthOf(model) }));
  }

  /** Queue depth summed over all batchers. */
  queueDepth(): number {
    let n = 0;
    for (const h of this.hosts.values()) n += (h.rewardBatcher?.depth ?? 0) + (h.chatBatcher?.depth ?? 0);
    return n;
  }

  /** Stops taking work, finishes what is queued and running, then closes every model. */
  async drainAndClose(): Promise<void> {
    const hosts = [...this.hosts.values()];
    await Promise.all(hosts.flatMap((h) => [h.rewardBatcher, h.chatBatcher]).flatMap((b) => (b ? [b.drain()] : [])));
    const closed = new Set<object>();
    for (const h of hosts) {
      for (const m of [h.reward, h.chat]) {
        if (!m || closed.has(m)) continue;
        closed.add(m);
        await m.close?.();
      }
    }
  }
}
