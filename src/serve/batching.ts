/**
 * A dynamic batcher: requests from many concurrent clients wait in one bounded queue and are
 * run together, up to `maxBatch` items, as soon as the batch is full or the oldest item has
 * waited `maxWaitMs`. A full queue refuses new work at once (HTTP 429 with a Retry-After
 * estimate), each submission has a deadline (503 when it passes), and an AbortSignal (the
 * client went away) removes work that has not started yet. Pure: no HTTP, no model types.
 */
import { HttpError } from '../errors.js';

/** How the batcher groups and bounds work. */
export interface BatcherOptions {
  /** Most items run together in one call (1 turns batching off). */
  readonly maxBatch: number;
  /** Longest time the oldest queued item waits for a fuller batch, in ms. */
  readonly maxWaitMs: number;
  /** Most items waiting (not yet running); more are refused with 429. */
  readonly maxQueue: number;
  /** Deadline per submission from enqueue to result, in ms (0: none). */
  readonly timeoutMs: number;
}

/** Defaults: a batch of 32 matches common RL rollout group sizes; 5 ms of waiting costs little
 *  next to a model forward pass; 1024 queued items is 32 full batches. */
export const DEFAULT_BATCHER_OPTIONS: BatcherOptions = { maxBatch: 32, maxWaitMs: 5, maxQueue: 1024, timeoutMs: 60_000 };

/** Smallest Retry-After the batcher suggests, in seconds (the header takes whole seconds). */
const MIN_RETRY_AFTER_S = 1;
/** Largest Retry-After the batcher suggests, in seconds. */
const MAX_RETRY_AFTER_S = 60;
/** Weight of the newest batch in the moving average of item throughput. */
const THROUGHPUT_SMOOTHING = 0.2;

/** The queue is full: retry after `retryAfterS` seconds. */
export class QueueFullError extends HttpError {
  readonly retryAfterS: number;
  constructor(message: string, retryAfterS: number) {
    super(429, message);
    this.retryAfterS = retryAfterS;
  }
}

/** A submission missed its deadline. */
export class DeadlineError extends HttpError {
  constructor(message: string) {
    super(503, message);
  }
}

/** The client went away (or the caller aborted) before the work ran. */
export class CancelledError extends HttpError {
  constructor(message: string) {
    // 499: nginx's "client closed request"; nobody reads it, but logs and metrics do.
    super(499, message);
  }
}

/** The batcher is shutting down and takes no new work. */
export class ClosingError extends HttpError {
  constructor(message: string) {
    super(503, message);
  }
}

/** What the batcher reports after each batch (for metrics). */
export interface BatchEvent {
  readonly size: number;
  readonly ms: number;
  readonly ok: boolean;
}

interface Pending<I, O> {
  readonly item: I;
  readonly enqueuedAt: number;
  settled: boolean;
  resolve(value: O): void;
  reject(err: unknown): void;
  cleanup(): void;
}

/**
 * Groups submissions into batches for `run`, which must return one output per input, in order.
 *
 * @example
 * const b = new DynamicBatcher(async (xs: number[]) => xs.map((x) => x * 2), { maxBatch: 8, maxWaitMs: 2, maxQueue: 64, timeoutMs: 1000 });
 * await Promise.all([b.submit(1), b.submit(2)]); // [2, 4], run once with [1, 2]
 */
export class DynamicBatcher<I, O> {
  readonly options: BatcherOptions;
  private readonly queue: Pending<I, O>[] = [];
  private running = 0;
  private timer: NodeJS.Timeout | undefined;
  private closing = false;
  private idleWaiters: (() => void)[] = [];
  /** Items per second, smoothed over recent batches (0 until the first batch). */
  private itemsPerSecond = 0;

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    options: Partial<BatcherOptions> = {},
    private readonly onBatch?: (e: BatchEvent) => void,
  ) {
    this.options = { ...DEFAULT_BATCHER_OPTIONS, ...options };
    const { maxBatch, maxWaitMs, maxQueue, timeoutMs } = this.options;
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError(`maxBatch must be an integer >= 1, got ${maxBatch}`);
    if (!(maxWaitMs >= 0)) throw new RangeError(`maxWaitMs must be >= 0, got ${maxWaitMs}`);
    if (!Number.isInteger(maxQueue) || maxQueue < 1) throw new RangeError(`maxQueue must be an integer >= 1, got ${maxQueue}`);
    if (!(timeoutMs >= 0)) throw new RangeError(`timeoutMs must be >= 0 (0 = none), got ${timeoutMs}`);
  }

  /** Items waiting to run. */
  get depth(): number {
    return this.queue.length;
  }

  /** Batches running now. */
  get inFlight(): number {
    return this.running;
  }

  /** Seconds a refused client should wait: the time to work through the queue, clamped. */
  retryAfterSeconds(): number {
    if (this.itemsPerSecond <= 0) return MIN_RETRY_AFTER_S;
    const s = Math.ceil(this.queue.length / this.itemsPerSecond);
    return Math.min(MAX_RETRY_AFTER_S, Math.max(MIN_RETRY_AFTER_S, s));
  }

  /**
   * Queues one item; resolves with its output.
   *
   * @example
   * const out = await batcher.submit(query, AbortSignal.timeout(5000));
   */
  submit(item: I, signal?: AbortSignal): Promise<O> {
    return this.submitMany([item], signal).then((r) => r[0]!);
  }

  /**
   * Queues several items at once, all or none: if they do not all fit in the queue, none is
   * queued and the call fails with QueueFullError. Outputs come back in order; the first
   * failure rejects the whole call (the other items still run).
   *
   * @example
   * const outs = await batcher.submitMany([q1, q2, q3]);
   */
  submitMany(items: readonly I[], signal?: AbortSignal): Promise<O[]> {
    if (this.closing) return Promise.reject(new ClosingError('the server is shutting down; retry against another replica or after restart'));
    if (signal?.aborted) return Promise.reject(new CancelledError('the request was cancelled before it was queued'));
    if (items.length === 0) return Promise.resolve([]);
    if (items.length > this.options.maxQueue) {
      // Waiting cannot help: the request could never fit, so this is the client's error, not a 429.
      return Promise.reject(new HttpError(400, `this request holds ${items.length} queries, more than the server's queue (${this.options.maxQueue}); split it into smaller requests`));
    }
    if (this.queue.length + items.length > this.options.maxQueue) {
      return Promise.reject(
        new QueueFullError(
          `the scoring queue is full (${this.queue.length} waiting, limit ${this.options.maxQueue}, this request adds ${items.length}); retry later`,
          this.retryAfterSeconds(),
        ),
      );
    }
    const now = performance.now();
    const entries: Pending<I, O>[] = [];
    const promises = items.map(
      (item) =>
        new Promise<O>((resolve, reject) => {
          entries.push({ item, enqueuedAt: now, settled: false, resolve, reject, cleanup: () => undefined });
        }),
    );
    let timeout: NodeJS.Timeout | undefined;
    const failAll = (err: Error): void => {
      for (const e of entries) {
        if (e.settled) continue;
        const i = this.queue.indexOf(e);
        if (i >= 0) this.queue.splice(i, 1);
        e.settled = true;
        e.reject(err);
      }
      this.notifyIdle();
    };
    const onAbort = (): void => failAll(new CancelledError('the client went away; its queued work was dropped'));
    if (this.options.timeoutMs > 0) {
      timeout = setTimeout(() => failAll(new DeadlineError(`scoring did not finish within ${this.options.timeoutMs} ms (queue depth ${this.queue.length}); retry or raise --timeout-ms`)), this.options.timeoutMs);
      timeout.unref();
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    const cleanup = (): void => {
      if (timeout) clearTimeout(timeout);
      signal?.removeEventListener('abort', onAbort);
    };
    for (const e of entries) e.cleanup = cleanup;
    this.queue.push(...entries);
    this.schedule();
    return Promise.all(promises).finally(cleanup);
  }

  /**
   * Stops taking work and resolves once everything queued or running has finished.
   *
   * @example
   * await batcher.drain(); // then close the model
   */
  drain(): Promise<void> {
    this.closing = true;
    if (this.queue.length > 0) this.flushNow();
    return this.whenIdle();
  }

  private whenIdle(): Promise<void> {
    if (this.queue.length === 0 && this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private notifyIdle(): void {
    if (this.queue.length !== 0 || this.running !== 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** One batch runs at a time: a model forward pass already uses every core it is given. */
  private schedule(): void {
    if (this.running > 0 || this.queue.length === 0) return;
    if (this.queue.length >= this.options.maxBatch || this.closing) return this.flushNow();
    const waited = performance.now() - this.queue[0]!.enqueuedAt;
    const left = this.options.maxWaitMs - waited;
    if (left <= 0) return this.flushNow();
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.running === 0 && this.queue.length > 0) this.flushNow();
    }, left);
  }

  private flushNow(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.running > 0 || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.options.maxBatch);
    this.running++;
    void this.runBatch(batch);
  }

  private async runBatch(batch: Pending<I, O>[]): Promise<void> {
    const started = performance.now();
    let ok = true;
    try {
      const outs = await this.run(batch.map((e) => e.item));
      if (outs.length !== batch.length) throw new Error(`the batch function returned ${outs.length} outputs for ${batch.length} inputs`);
      batch.forEach((e, i) => {
        if (e.settled) return;
        e.settled = true;
        e.resolve(outs[i]!);
      });
    } catch (err) {
      ok = false;
      for (const e of batch) {
        if (e.settled) continue;
        e.settled = true;
        e.reject(err);
      }
    } finally {
      const ms = performance.now() - started;
      if (ms > 0) {
        const rate = (batch.length / ms) * 1000;
        this.itemsPerSecond = this.itemsPerSecond === 0 ? rate : this.itemsPerSecond * (1 - THROUGHPUT_SMOOTHING) + rate * THROUGHPUT_SMOOTHING;
      }
      this.running--;
      this.onBatch?.({ size: batch.length, ms, ok });
      // Whatever queued meanwhile has usually waited past maxWaitMs already and runs at once.
      if (this.queue.length > 0) this.schedule();
      else this.notifyIdle();
    }
  }
}
