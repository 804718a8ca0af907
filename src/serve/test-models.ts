/**
 * TEST DOUBLES, not reward models. A deterministic RewardModel and ChatModel for the server's
 * tests and benchmark while no trained local VLM is plugged in: the "reward" is a fixed
 * function of image brightness and prompt length, and each batch costs a configurable fixed
 * time plus a per-item time (sleeping, like work off the event loop, or busy-waiting, like a
 * synchronous native forward pass), so batching speed-ups measured with them are real.
 */
import { existsSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { mediaFrames, type Media, type RgbImage } from '../data/image.js';
import type { RewardModel, RewardMode, RewardQuery, RewardResult } from '../rewards/types.js';
import type { ChatCompletion, ChatModel, ChatRequest, GeneratedToken } from './chat-model.js';

/** How long a batch of `n` items takes: `fixedMs + n * perItemMs`. */
export interface BatchCost {
  readonly fixedMs: number;
  readonly perItemMs: number;
  /** 'sleep' yields the event loop (async work); 'busy' blocks it (synchronous compute). */
  readonly kind: 'sleep' | 'busy';
}

/** No cost: unit tests. */
export const FREE: BatchCost = { fixedMs: 0, perItemMs: 0, kind: 'sleep' };
/**
 * The benchmark's cost: a forward pass of a small VLM on 2 CPU cores has a fixed part
 * (weights through the cache, kernel launches) much larger than the per-item part. 20 ms +
 * 1 ms/item is a guess of that shape, not a measurement of the tiny VLM.
 */
export const VLM_LIKE_COST: BatchCost = { fixedMs: 20, perItemMs: 1, kind: 'sleep' };

/** A prompt containing this makes the whole batch throw (tests per-item error isolation). */
export const POISON_PROMPT = '__fail_this_batch__';
/**
 * A prompt containing this crashes the thread the double runs on, as an uncaught error would:
 * in a worker thread the worker dies (tests the server's worker restart); on the main thread
 * the batch just throws, so a test cannot kill its own process by mistake.
 */
export const CRASH_PROMPT = '__crash_the_model_thread__';
/**
 * A prompt containing this hangs the thread the double runs on, as a stuck forward pass would:
 * in a worker thread it busy-waits forever (blocking the worker's event loop, so only
 * terminating the worker ends it: tests the server's watchdog); on the main thread the batch
 * just throws, so a test cannot hang its own process by mistake.
 */
export const HANG_PROMPT = '__hang_the_model_thread__';
/** Exit code of a worker ended by CRASH_PROMPT. */
export const CRASH_EXIT_CODE = 70;
/** Reward slope per unit of brightness difference (logit units). */
const BRIGHTNESS_SLOPE = 4;
/** Reward slope per prompt character (logit units). */
const PROMPT_SLOPE = 0.01;
/** Share of the vocabulary's probability the double puts on yes+no. */
const YES_NO_MASS = 0.9;

async function spend(cost: BatchCost, n: number): Promise<void> {
  const ms = cost.fixedMs + cost.perItemMs * n;
  if (ms <= 0) return;
  if (cost.kind === 'sleep') return new Promise((r) => setTimeout(r, ms));
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // Busy-wait on purpose: stands in for a synchronous forward pass.
  }
}

/** Mean brightness of an image in [0, 1]. */
export function brightness(img: RgbImage): number {
  let s = 0;
  for (let i = 0; i < img.data.length; i++) s += img.data[i]!;
  return img.data.length ? s / img.data.length / 255 : 0;
}

function mediaBrightness(m: Media): number {
  const fr = mediaFrames(m);
  return fr.reduce((a, f) => a + brightness(f), 0) / fr.length;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/**
 * The double's reward for one query: logit = 4 (b(candidate) - b(reference or 0.5)) + 0.01 len(prompt).
 *
 * @example
 * testReward({ task: 't2i', prompt: '', candidate: imageMedia(blankImage(2, 2, [255, 255, 255])) }, 'pointwise').reward; // sigmoid(2)
 */
export function testReward(q: RewardQuery, mode: RewardMode): Omit<RewardResult, 'ms'> {
  const base = mode === 'pairwise' && q.reference ? mediaBrightness(q.reference) : 0.5;
  const logitYes = BRIGHTNESS_SLOPE * (mediaBrightness(q.candidate) - base) + PROMPT_SLOPE * q.prompt.length;
  const logitNo = 0;
  const reward = sigmoid(logitYes - logitNo);
  const rationale = q.cot && q.cot !== 'off' ? `test double: brightness ${mediaBrightness(q.candidate).toFixed(3)}` : undefined;
  return { reward, pYesVocab: reward * YES_NO_MASS, logitYes, logitNo, ...(rationale ? { rationale } : {}) };
}

/** Options of the test reward double. */
export interface TestRewardOptions {
  readonly id?: string;
  readonly mode?: RewardMode;
  readonly cost?: BatchCost;
}

/**
 * A deterministic RewardModel for tests and benchmarks; records the batch sizes it saw.
 *
 * @example
 * const m = new TestRewardModel({ cost: VLM_LIKE_COST });
 * await m.score([query]); // [{ reward, pYesVocab, logitYes, logitNo, ms }]
 */
export class TestRewardModel implements RewardModel {
  readonly id: string;
  readonly mode: RewardMode;
  readonly cost: BatchCost;
  /** Sizes of the batches scored so far, in order. */
  readonly batchSizes: number[] = [];
  closed = false;

  constructor(opts: TestRewardOptions = {}) {
    this.id = opts.id ?? 'test-reward';
    this.mode = opts.mode ?? 'pointwise';
    this.cost = opts.cost ?? FREE;
  }

  async score(queries: readonly RewardQuery[]): Promise<RewardResult[]> {
    const t0 = performance.now();
    this.batchSizes.push(queries.length);
    await spend(this.cost, queries.length);
    if (queries.some((q) => q.prompt.includes(CRASH_PROMPT))) {
      if (!isMainThread) process.exit(CRASH_EXIT_CODE);
      throw new Error('test double: crash prompt on the main thread');
    }
    if (queries.some((q) => q.prompt.includes(HANG_PROMPT))) {
      if (isMainThread) throw new Error('test double: hang prompt on the main thread');
      for (;;) {
        // Hang on purpose: stands in for a forward pass that never returns.
      }
    }
    if (queries.some((q) => q.prompt.includes(POISON_PROMPT))) throw new Error('test double: poisoned prompt in this batch');
    const ms = (performance.now() - t0) / Math.max(1, queries.length);
    return queries.map((q) => ({ ...testReward(q, this.mode), ms }));
  }

  close(): void {
    this.closed = true;
  }
}

/**
 * Builds a TestRewardModel from plain options: the factory a model worker calls
 * (`{ kind: 'module', url, exportName: 'createTestRewardModel', options }`).
 *
 * @example
 * await WorkerRewardModel.start({ source: { kind: 'module', url: new URL('./test-models.js', import.meta.url).href, exportName: 'createTestRewardModel', options: { cost: VLM_LIKE_COST } } });
 */
export function createTestRewardModel(options: TestRewardOptions = {}): TestRewardModel {
  return new TestRewardModel(options);
}

/**
 * Builds a TestRewardModel after `loadDelayMs` (default 0), as a slow checkpoint load would
 * take: the factory for a worker whose restarts must last long enough to be observed. While the
 * file `hangOnLoadIfExists` exists, a load (in a worker only) never returns, as a stuck one would.
 *
 * @example
 * await WorkerRewardModel.start({ source: { kind: 'module', url, exportName: 'loadTestRewardModel', options: { loadDelayMs: 500 } } });
 */
export async function loadTestRewardModel(options: TestRewardOptions & { readonly loadDelayMs?: number; readonly hangOnLoadIfExists?: string } = {}): Promise<TestRewardModel> {
  const { loadDelayMs = 0, hangOnLoadIfExists, ...rest } = options;
  if (hangOnLoadIfExists !== undefined && existsSync(hangOnLoadIfExists)) {
    if (isMainThread) throw new Error('test double: hang on load on the main thread');
    for (;;) {
      // Hang on purpose: stands in for a checkpoint load that never returns.
    }
  }
  if (loadDelayMs > 0) await new Promise((r) => setTimeout(r, loadDelayMs));
  return new TestRewardModel(rest);
}

/**
 * A deterministic ChatModel: answers "yes" when the chat's images are bright on average
 * (P(yes) = sigmoid(4 (brightness - 0.5))), "no" otherwise, then stops.
 *
 * @example
 * const [c] = await new TestChatModel().complete([{ messages, maxTokens: 1, topLogprobs: 2, temperature: 0 }]);
 */
export class TestChatModel implements ChatModel {
  readonly id: string;
  readonly cost: BatchCost;
  readonly batchSizes: number[] = [];

  constructor(opts: { id?: string; cost?: BatchCost } = {}) {
    this.id = opts.id ?? 'test-chat';
    this.cost = opts.cost ?? FREE;
  }

  async complete(requests: readonly ChatRequest[]): Promise<ChatCompletion[]> {
    this.batchSizes.push(requests.length);
    await spend(this.cost, requests.length);
    return requests.map((r) => {
      const images = r.messages.flatMap((m) => m.parts.flatMap((p) => (p.type === 'image' ? [p.image] : [])));
      const b = images.length ? images.reduce((a, i) => a + brightness(i), 0) / images.length : 0.5;
      const pYes = sigmoid(BRIGHTNESS_SLOPE * (b - 0.5)) * YES_NO_MASS;
      const pNo = YES_NO_MASS - pYes;
      const rest = (1 - YES_NO_MASS) / 2;
      const ranked = [
        { token: 'yes', logprob: Math.log(pYes) },
        { token: 'no', logprob: Math.log(pNo) },
        { token: 'Yes', logprob: Math.log(rest) },
        { token: 'No', logprob: Math.log(rest) },
      ].sort((a, c) => c.logprob - a.logprob);
      const first: GeneratedToken = { ...ranked[0]!, top: ranked.slice(0, r.topLogprobs) };
      const text = r.messages.flatMap((m) => m.parts.flatMap((p) => (p.type === 'text' ? [p.text] : []))).join(' ');
      return { tokens: [first], finishReason: 'stop', promptTokens: text.split(/\s+/).filter(Boolean).length + images.length };
    });
  }
}
