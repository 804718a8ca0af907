/**
 * `POST /v1/rewards` and `POST /v1/select` (src/select/select.ts): decode media (limits first), build reward queries,
 * send them through the model's batcher together with other clients' queries, and answer
 * per item: a reward or that item's error (or, when the model worker hung or is down, one
 * 504/503 for the whole request). Debiased pairwise items are scored in both orders
 * (rewards/debias.ts combines them).
 */
import type { FastifyReply } from 'fastify';
import { AppError, HttpError, InputError } from '../errors.js';
import type { Media, RgbImage } from '../data/image.js';
import { combineOrders, swapQuery } from '../rewards/debias.js';
import type { RewardModel, RewardQuery, RewardResult } from '../rewards/types.js';
import { ModelUnavailableError } from './errors.js';
import { decodeMediaBatch, type MediaLimits } from './media.js';
import type { ModelRegistry, Scored } from './registry.js';
import {
  RewardsBodySchema,
  RewardsReplySchema,
  SelectBodySchema,
  SelectReplySchema,
  type RewardItem,
  type RewardResultBody,
  type ServeApp,
} from './schemas.js';
import type { SelectionRequest } from '../select/request.js';
import { selectBest } from '../select/select.js';

/**
 * An AbortSignal that fires when the client goes away before its answer is written.
 *
 * @example
 * const signal = clientGone(reply); await batcher.submit(q, signal);
 */
export function clientGone(reply: FastifyReply): AbortSignal {
  const ac = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) ac.abort();
  });
  return ac.signal;
}

function failed(message: string): RewardResultBody {
  return { reward: null, pYesVocab: null, logitYes: null, logitNo: null, error: message };
}

function publicMessage(err: Error): string {
  return err instanceof AppError ? err.message : `the model failed on this item: ${err.message}`;
}

/** Submits queries and turns each outcome into a RewardResult or throws for the whole request. */
function batchedModel(host: { reward: RewardModel; rewardBatcher: { submitMany(q: readonly RewardQuery[], s?: AbortSignal): Promise<Scored[]> } }, signal: AbortSignal): RewardModel {
  return {
    id: host.reward.id,
    mode: host.reward.mode,
    async score(queries) {
      const out = await host.rewardBatcher.submitMany(queries, signal);
      return out.map((r) => {
        if (r instanceof Error) throw r instanceof AppError ? r : new HttpError(500, publicMessage(r));
        return r;
      });
    },
  };
}

interface Prepared {
  readonly index: number;
  readonly query: RewardQuery;
  readonly debias: boolean;
}

/**
 * Registers the reward routes.
 *
 * @example
 * registerRewardRoutes(app, registry, DEFAULT_MEDIA_LIMITS);
 */
export function registerRewardRoutes(app: ServeApp, registry: ModelRegistry, limits: MediaLimits): void {
  app.post(
    '/v1/rewards',
    { schema: { body: RewardsBodySchema, response: { 200: RewardsReplySchema } } },
    async (request, reply) => {
      const signal = clientGone(reply);
      const host = registry.rewardOf(request.body.model);
      const items: RewardItem[] = request.body.items;
      const entries: { value: string | readonly string[]; source: string }[] = [];
      items.forEach((it, i) => {
        entries.push({ value: it.image, source: `items[${i}].image` });
        if (it.reference !== undefined) entries.push({ value: it.reference, source: `items[${i}].reference` });
        if (it.condition !== undefined) entries.push({ value: it.condition, source: `items[${i}].condition` });
      });
      const decoded = await decodeMediaBatch(entries, limits);
      const results: RewardResultBody[] = items.map(() => failed('not scored'));
      const prepared: Prepared[] = [];
      let k = 0;
      items.forEach((it, i) => {
        const take = (): Media | InputError => decoded[k++]!;
        const candidate = take();
        const reference = it.reference !== undefined ? take() : undefined;
        const condition = it.condition !== undefined ? take() : undefined;
        const bad = [candidate, reference, condition].find((m): m is InputError => m instanceof InputError);
        if (bad) return void (results[i] = failed(bad.message));
        if (it.debias && (host.reward.mode !== 'pairwise' || reference === undefined)) {
          return void (results[i] = failed(`items[${i}]: debias needs a pairwise model and a reference ('${host.reward.id}' is ${host.reward.mode}${reference ? '' : ', and no reference was sent'})`));
        }
        let cond: RgbImage | undefined;
        if (condition !== undefined) {
          const c = condition as Media;
          if (c.kind !== 'image') return void (results[i] = failed(`items[${i}].condition: the condition is one image, not a frame list`));
          cond = c.image;
        }
        const query: RewardQuery = {
          task: it.task,
          prompt: it.prompt,
          candidate: candidate as Media,
          ...(reference !== undefined ? { reference: reference as Media } : {}),
          ...(cond ? { condition: cond } : {}),
          ...(it.criteria !== undefined ? { criteria: it.criteria } : {}),
          ...(it.cot !== undefined ? { cot: it.cot } : {}),
        };
        prepared.push({ index: i, query, debias: it.debias === true });
      });
      const queries: RewardQuery[] = [];
      for (const p of prepared) {
        queries.push(p.query);
        if (p.debias) queries.push(swapQuery(p.query, p.index));
      }
      const scored = await host.rewardBatcher.submitMany(queries, signal);
      // A hung or given-up model worker is no item's fault: the request fails as a whole (504/503).
      const unavailable = scored.find((r): r is ModelUnavailableError => r instanceof ModelUnavailableError);
      if (unavailable) throw unavailable;
      let q = 0;
      for (const p of prepared) {
        const first = scored[q++]!;
        const second = p.debias ? scored[q++]! : undefined;
        const err = [first, second].find((r): r is Error => r instanceof Error);
        if (err) {
          results[p.index] = failed(publicMessage(err));
          continue;
        }
        const r = first as RewardResult;
        const base: RewardResultBody = { reward: r.reward, pYesVocab: r.pYesVocab, logitYes: r.logitYes, logitNo: r.logitNo, ...(r.rationale !== undefined ? { rationale: r.rationale } : {}) };
        if (!second) {
          results[p.index] = base;
          continue;
        }
        const d = combineOrders(r, second as RewardResult);
        results[p.index] = { ...base, reward: d.reward, logitYes: d.logitYes, logitNo: d.logitNo, positionConsistent: d.consistent };
      }
      return { model: host.id, results };
    },
  );

  app.post('/v1/select', { schema: { body: SelectBodySchema, response: { 200: SelectReplySchema } } }, async (request, reply) => {
    const signal = clientGone(reply);
    const host = registry.rewardOf(request.body.model);
    const b = request.body;
    const method = b.method ?? 'pointwise';
    const entries = b.candidates.map((value, i) => ({ value, source: `candidates[${i}]` }));
    if (b.reference !== undefined) entries.push({ value: b.reference, source: 'reference' });
    if (b.condition !== undefined) entries.push({ value: b.condition, source: 'condition' });
    const decoded = await decodeMediaBatch(entries, limits);
    const bad = decoded.find((m): m is InputError => m instanceof InputError);
    if (bad) throw bad;
    const media = decoded as Media[];
    const candidates = media.slice(0, b.candidates.length);
    let k = b.candidates.length;
    const reference = b.reference !== undefined ? media[k++] : undefined;
    const condition = b.condition !== undefined ? media[k] : undefined;
    if (condition && condition.kind !== 'image') throw new InputError('condition: the condition is one image, not a frame list');
    const req: SelectionRequest = {
      task: b.task,
      prompt: b.prompt,
      candidates,
      ...(reference ? { reference } : {}),
      ...(condition?.kind === 'image' ? { condition: condition.image } : {}),
      ...(b.criteria !== undefined ? { criteria: b.criteria } : {}),
      ...(b.cot !== undefined ? { cot: b.cot } : {}),
    };
    const s = await selectBest(batchedModel(host, signal), req, method, { debias: b.debias === true });
    return { model: host.id, ...s };
  });
}
