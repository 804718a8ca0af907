/**
 * A reward (and chat) model that runs in a worker_threads worker, so that the forward pass
 * does not block the server's event loop: while the worker computes one batch, the main thread
 * parses HTTP, decodes base64 and PNGs and queues the next batch. The worker owns the model and
 * its tensors (model-worker.ts); batches cross as structured clones of decoded images.
 *
 * If the worker dies (an uncaught error, exhausted heap), the batch it was running fails with
 * a 500 that says so, and a fresh worker is started; calls queued behind that batch run on the
 * fresh worker. A watchdog covers hangs: a worker that has work but answers nothing for
 * `timeoutMs` is terminated, the batch it was running fails with a 504 (WorkerHungError), and
 * a fresh worker is started the same way. After more than MAX_CRASHES_PER_WINDOW crashes or
 * hangs within CRASH_WINDOW_MS (or a restart that cannot load the model) it stays down and
 * calls answer 503. `health()` says which of these it is in. A crash inside native code (a
 * segfault or abort in libtorch) ends the whole process: threads share it; and a thread stuck
 * inside one native call cannot be terminated until that call returns (it is unref'd so that
 * it cannot keep the process alive).
 */
import { Worker } from 'node:worker_threads';
import { CheckpointError, ConfigError, errorMessage, HttpError } from '../errors.js';
import type { RewardMode, RewardModel, RewardQuery, RewardResult } from '../rewards/types.js';
import type { ChatCompletion, ChatModel, ChatRequest } from './chat-model.js';
import { ClosingError } from './batching.js';
import { ModelCapabilityError, WorkerDownError, WorkerHungError } from './errors.js';
import type { ModelHealth, ModelState } from './registry.js';
import { fromWire, type FromWorker, type ToWorker, type WorkerData, type WorkerMemory, type WorkerModelSource } from './worker-protocol.js';

/** Crashes or hangs tolerated within CRASH_WINDOW_MS (a minute) before the worker is left down. */
export const MAX_CRASHES_PER_WINDOW = 5;
const CRASH_WINDOW_MS = 60_000;
/** How long a closing worker may take to dispose its model before it is terminated. */
const CLOSE_TIMEOUT_MS = 5_000;
/** One libtorch thread: on 2 cores, one core runs the model while the other serves HTTP. */
export const DEFAULT_WORKER_THREADS = 1;
/**
 * How long a worker with work may go without answering before it counts as hung: far above a
 * batch of the tiny VLM on 2 cores (under a second at p99 in bench:serve), below the default
 * request deadline (60 s), so a hang is answered as one rather than as a missed deadline.
 */
export const DEFAULT_WORKER_TIMEOUT_MS = 30_000;
/**
 * How long a worker may take to load its model (at start and at each restart) before it counts
 * as hung: the tiny models load in well under a second; a stuck load (a checkpoint on a dead
 * network mount, a native call that never returns) would otherwise leave the server starting
 * forever, or a restarted model 'restarting' forever.
 */
export const DEFAULT_WORKER_LOAD_TIMEOUT_MS = 120_000;
/** The longest delay setTimeout honours (longer ones fire at once). */
export const MAX_WORKER_TIMEOUT_MS = 2 ** 31 - 1;

/** How to start a model worker. */
export interface WorkerModelOptions {
  readonly source: WorkerModelSource;
  /** libtorch intra-op threads in the worker (default DEFAULT_WORKER_THREADS). */
  readonly threads?: number;
  /** Node options for the worker (tests pass a TypeScript loader to run src/ directly). */
  readonly execArgv?: readonly string[];
  /** Crashes or hangs tolerated within a minute before the worker is left down (default MAX_CRASHES_PER_WINDOW). */
  readonly maxCrashesPerMinute?: number;
  /**
   * Watchdog: ms a worker with work may go without answering before it is terminated and
   * restarted (default DEFAULT_WORKER_TIMEOUT_MS; 0 turns the watchdog off). Each answer
   * restarts the clock, so calls queued behind a long one are not counted as hung.
   */
  readonly timeoutMs?: number;
  /**
   * Ms a worker may take to load its model before it is terminated (default
   * DEFAULT_WORKER_LOAD_TIMEOUT_MS; 0 waits forever): the start fails, or a restart gives up.
   */
  readonly loadTimeoutMs?: number;
}

/** The worker died while running this call (or before it could start). */
export class WorkerCrashedError extends HttpError {
  constructor(message: string) {
    super(500, message);
  }
}

/** A call the worker has been sent (and is sent again if its worker dies before starting it). */
interface Call {
  readonly message: Extract<ToWorker, { id: number }>;
  // The worker answers each call type with its own value type (see worker-protocol.ts).
  resolve(value: never): void;
  reject(err: Error): void;
}

/** The worker entry next to this module: model-worker.js when built, model-worker.ts under a TypeScript loader. */
function workerEntry(): URL {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./model-worker${ext}`, import.meta.url);
}

/** Resolves when `worker` has exited (at once if its thread has already ended). */
function exitOf(worker: Worker): Promise<void> {
  return new Promise((resolve) => {
    if (worker.threadId < 0) return resolve();
    worker.once('exit', () => resolve());
  });
}

/** How a load-timeout message names what the worker was loading. */
function describeSource(source: WorkerModelSource): string {
  return source.kind === 'checkpoint' ? `the checkpoint ${source.dir}` : `the model from ${source.url} (${source.exportName})`;
}

/** A timeout in ms, if given, must be an integer from 0 (`zero`: what 0 means) to MAX_WORKER_TIMEOUT_MS. */
function checkTimeout(ms: number | undefined, what: string, zero: string): void {
  if (ms !== undefined && (!Number.isInteger(ms) || ms < 0 || ms > MAX_WORKER_TIMEOUT_MS)) {
    throw new ConfigError(`${what} must be an integer number of ms from 0 (${zero}) to ${MAX_WORKER_TIMEOUT_MS}, got ${ms}`);
  }
}

/**
 * Checks the options a worker is started with.
 *
 * @example
 * checkWorkerOptions({ source, timeoutMs: -1 }); // throws ConfigError: worker timeout must be ...
 */
export function checkWorkerOptions(opts: WorkerModelOptions): void {
  checkTimeout(opts.timeoutMs, 'the model worker timeout', 'no watchdog');
  checkTimeout(opts.loadTimeoutMs, 'the model worker load timeout', 'wait forever');
  const m = opts.maxCrashesPerMinute;
  if (m !== undefined && (!Number.isInteger(m) || m < 0)) throw new ConfigError(`maxCrashesPerMinute must be an integer >= 0, got ${m}`);
  const n = opts.threads;
  if (n !== undefined && (!Number.isInteger(n) || n < 1)) throw new ConfigError(`the model worker's threads must be an integer >= 1, got ${n}`);
}

/**
 * A RewardModel and ChatModel whose every call runs in a dedicated worker thread.
 *
 * @example
 * const rm = await WorkerRewardModel.start({ source: { kind: 'checkpoint', dir: 'runs/rm-small' }, timeoutMs: 30_000 });
 * await rm.score([query]); // computed off the main thread
 * rm.health();             // { state: 'up', restarts: 0 }
 * await rm.close();        // disposes the model and ends the worker
 */
export class WorkerRewardModel implements RewardModel, ChatModel {
  readonly id: string;
  readonly mode: RewardMode;
  /** Whether the worker's model also generates tokens (serve it on /v1/chat/completions). */
  readonly canChat: boolean;
  /** Workers started after a crash or a hang so far. */
  restarts = 0;
  /** The worker that takes calls; undefined while restarting or down. */
  private worker: Worker | undefined;
  /** The last worker, kept after it ended so that threadId reads -1. */
  private lastWorker: Worker;
  /** Settles (never rejects) when a restart has finished, whether it worked or not. */
  private ready: Promise<void> = Promise.resolve();
  /** Calls sent and not answered, oldest first (the worker runs them in this order). */
  private readonly calls = new Map<number, Call>();
  private nextId = 1;
  private failures: number[] = [];
  private lastError: string | undefined;
  /** Why the model is not up (the last failure while restarting or down). */
  private reason: string | undefined;
  private state: ModelState = 'up';
  private closed: Promise<void> | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  /** Hung workers terminated and not yet exited. */
  private readonly dying = new Set<Worker>();
  /** Every worker of this model whose thread has not exited yet. */
  private readonly alive = new Set<Worker>();

  private constructor(private readonly opts: WorkerModelOptions, first: { worker: Worker; modelId: string; mode: RewardMode; chat: boolean }) {
    this.worker = first.worker;
    this.lastWorker = first.worker;
    this.id = first.modelId;
    this.mode = first.mode;
    this.canChat = first.chat;
    this.watch(first.worker);
  }

  /**
   * Starts the worker and waits until its model is loaded; a load failure rejects with the
   * worker's error (e.g. a CheckpointError naming the folder), bad options with a ConfigError.
   */
  static async start(opts: WorkerModelOptions): Promise<WorkerRewardModel> {
    checkWorkerOptions(opts);
    const first = await WorkerRewardModel.spawn(opts);
    return new WorkerRewardModel(opts, first);
  }

  private static spawn(opts: WorkerModelOptions): Promise<{ worker: Worker; modelId: string; mode: RewardMode; chat: boolean }> {
    const data: WorkerData = { source: opts.source, threads: opts.threads ?? DEFAULT_WORKER_THREADS };
    const worker = new Worker(workerEntry(), { workerData: data, ...(opts.execArgv ? { execArgv: [...opts.execArgv] } : {}) });
    return new Promise((resolve, reject) => {
      let error: Error | undefined;
      const limit = opts.loadTimeoutMs ?? DEFAULT_WORKER_LOAD_TIMEOUT_MS;
      const timer =
        limit > 0
          ? setTimeout(() => {
              cleanup();
              // A thread stuck inside one native call ends only when the call returns; unref'd, it cannot keep the process alive.
              worker.unref();
              void worker.terminate();
              reject(new WorkerHungError(`the model worker did not finish loading ${describeSource(opts.source)} within ${limit} ms (--worker-load-timeout-ms) and was terminated; check that the checkpoint is readable, or raise the limit for a large model`));
            }, limit)
          : undefined;
      timer?.unref();
      const onMessage = (m: FromWorker): void => {
        if (m.type === 'ready') {
          cleanup();
          resolve({ worker, modelId: m.modelId, mode: m.mode, chat: m.chat });
        } else if (m.type === 'load-failed') error = fromWire(m.error);
      };
      const onError = (err: Error): void => void (error ??= err);
      const onExit = (code: number): void => {
        cleanup();
        reject(error ?? new CheckpointError(`the model worker exited (code ${code}) before its model was loaded`));
      };
      const cleanup = (): void => {
        if (timer) clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
    });
  }

  private watch(worker: Worker): void {
    this.alive.add(worker);
    worker.on('message', (m: FromWorker) => {
      if (worker !== this.worker || (m.type !== 'result' && m.type !== 'failed')) return;
      const call = this.calls.get(m.id);
      if (!call) return;
      this.calls.delete(m.id);
      // An answer is progress: the next call gets a full deadline of its own.
      if (this.calls.size > 0) this.armWatchdog();
      else this.stopWatchdog();
      if (m.type === 'result') call.resolve(m.value as never);
      else call.reject(fromWire(m.error));
    });
    worker.on('error', (err) => {
      if (worker === this.worker) this.lastError = err.message;
    });
    worker.on('exit', (code) => this.onExit(worker, code));
  }

  private get maxCrashes(): number {
    return this.opts.maxCrashesPerMinute ?? MAX_CRASHES_PER_WINDOW;
  }

  private get timeoutMs(): number {
    return this.opts.timeoutMs ?? DEFAULT_WORKER_TIMEOUT_MS;
  }

  /** Where the model stands: up, restarting after a crash or hang, down (given up), closing, closed. */
  health(): ModelHealth {
    return { state: this.state, restarts: this.restarts, ...(this.state !== 'up' && this.reason ? { reason: this.reason } : {}) };
  }

  private armWatchdog(): void {
    this.stopWatchdog();
    const worker = this.worker;
    if (this.timeoutMs === 0 || !worker) return;
    this.watchdog = setTimeout(() => {
      this.watchdog = undefined;
      this.onHang(worker);
    }, this.timeoutMs);
    // The worker keeps the process alive while it runs; the watchdog need not.
    this.watchdog.unref();
  }

  private stopWatchdog(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = undefined;
  }

  private onExit(worker: Worker, code: number): void {
    this.alive.delete(worker);
    this.dying.delete(worker);
    if (worker !== this.worker) return;
    if (this.state === 'closing' || this.state === 'closed') {
      this.stopWatchdog();
      this.failAll(new ClosingError('the model was closed before this call finished'));
      return;
    }
    const why = this.lastError ? `: ${this.lastError}` : '';
    const what = `the model worker for '${this.id}' crashed (exit code ${code}${why})`;
    this.replaceWorker(new WorkerCrashedError(`${what} while this batch was running; a fresh worker takes the next batch`), what);
  }

  /** The watchdog fired: `worker` has had work and answered nothing for timeoutMs. */
  private onHang(worker: Worker): void {
    if (worker !== this.worker) return;
    const what = `the model worker for '${this.id}' hung (no answer within ${this.timeoutMs} ms, --worker-timeout-ms) and was terminated`;
    // A thread stuck inside one native call ends only when the call returns; unref'd, it
    // cannot keep the process alive meanwhile.
    worker.unref();
    this.dying.add(worker);
    void worker.terminate();
    if (this.state === 'closing') {
      // close() waits for this worker's exit, which fails whatever else was sent to it.
      this.rejectRunning(new WorkerHungError(`${what}; the server is shutting down`));
      return;
    }
    this.replaceWorker(new WorkerHungError(`${what}; this batch failed and a fresh worker takes the next one`), what);
  }

  /** Rejects the call the worker was running (the oldest unanswered; the worker runs them in order). */
  private rejectRunning(err: Error): void {
    const running = this.calls.values().next();
    if (running.done) return;
    this.calls.delete(running.value.message.id);
    running.value.reject(err);
  }

  /**
   * The current worker crashed or hung: fail the call it was running, then start a fresh
   * worker that takes the calls queued behind it, or give up after too many failures.
   */
  private replaceWorker(err: Error, what: string): void {
    this.worker = undefined;
    this.lastError = undefined;
    this.stopWatchdog();
    this.rejectRunning(err);
    const now = performance.now();
    this.failures = [...this.failures.filter((t) => now - t < CRASH_WINDOW_MS), now];
    if (this.failures.length > this.maxCrashes) {
      this.giveUp(`it crashed or hung more than ${this.maxCrashes} times within ${CRASH_WINDOW_MS / 1000} s (last: ${what})`);
      return;
    }
    this.state = 'restarting';
    this.reason = `${what}; a fresh worker is loading the model`;
    this.restarts++;
    this.ready = WorkerRewardModel.spawn(this.opts).then(
      (next) => {
        if (this.state !== 'restarting') {
          void next.worker.terminate();
          return;
        }
        this.worker = next.worker;
        this.lastWorker = next.worker;
        this.state = 'up';
        this.reason = undefined;
        this.watch(next.worker);
        // Calls that were queued behind the failed one run here, in their order.
        for (const c of this.calls.values()) this.send(c);
      },
      (e: unknown) => this.giveUp(`a fresh worker could not load the model (${errorMessage(e)}) after: ${what}`),
    );
  }

  private giveUp(reason: string): void {
    this.state = 'down';
    this.reason = `the model worker for '${this.id}' is down and was not restarted: ${reason}; restart the server`;
    this.failAll(new WorkerDownError(this.reason));
  }

  private failAll(err: Error): void {
    const calls = [...this.calls.values()];
    this.calls.clear();
    for (const c of calls) c.reject(err);
  }

  private send(call: Call): void {
    this.worker!.postMessage(call.message);
    if (!this.watchdog) this.armWatchdog();
  }

  private async call<T>(message: (id: number) => Call['message']): Promise<T> {
    while (this.state === 'restarting') await this.ready;
    if (this.state === 'closing' || this.state === 'closed') throw new ClosingError(`the model '${this.id}' is closed`);
    if (this.state === 'down') throw new WorkerDownError(this.reason ?? `the model worker for '${this.id}' is down`);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const call: Call = { message: message(id), resolve, reject };
      this.calls.set(id, call);
      this.send(call);
    });
  }

  score(queries: readonly RewardQuery[]): Promise<RewardResult[]> {
    return this.call<RewardResult[]>((id) => ({ type: 'score', id, queries }));
  }

  complete(requests: readonly ChatRequest[]): Promise<ChatCompletion[]> {
    if (!this.canChat) return Promise.reject(new ModelCapabilityError(this.id, 'chat completions'));
    return this.call<ChatCompletion[]>((id) => ({ type: 'complete', id, requests }));
  }

  /** Live tensors (on the worker's thread) and live tensor bytes: leak checks. */
  memory(): Promise<WorkerMemory> {
    return this.call<WorkerMemory>((id) => ({ type: 'memory', id }));
  }

  /** Worker threads of this model not exited yet (the current one, hung ones being terminated): 0 after close(). */
  get liveWorkers(): number {
    return this.alive.size;
  }

  /** Whether the hang watchdog's timer is set (only while the worker has unanswered calls). */
  get watchdogArmed(): boolean {
    return this.watchdog !== undefined;
  }

  /** The worker's thread id (changes after a restart; -1 once it has ended). */
  get threadId(): number {
    return (this.worker ?? this.lastWorker).threadId;
  }

  /**
   * Disposes the model and ends the worker (terminated if it does not end within
   * CLOSE_TIMEOUT_MS), and waits for hung workers still being terminated; stops the watchdog.
   */
  close(): Promise<void> {
    this.closed ??= (async () => {
      while (this.state === 'restarting') await this.ready;
      const worker = this.state === 'up' ? this.worker : undefined;
      this.state = 'closing';
      const workers = [...this.dying, ...(worker ? [worker] : [])];
      const exited = Promise.all(workers.map(exitOf));
      if (worker) worker.postMessage({ type: 'close' } satisfies ToWorker);
      let terminate: NodeJS.Timeout | undefined;
      let abandon: NodeJS.Timeout | undefined;
      await Promise.race([
        exited,
        new Promise<void>((resolve) => {
          terminate = setTimeout(() => {
            for (const w of workers) void w.terminate();
            // A thread stuck in native code ignores terminate(); stop waiting for it.
            abandon = setTimeout(resolve, CLOSE_TIMEOUT_MS);
          }, CLOSE_TIMEOUT_MS);
        }),
      ]);
      clearTimeout(terminate);
      clearTimeout(abandon);
      for (const w of workers) if (w.threadId >= 0) w.unref();
      this.stopWatchdog();
      this.failAll(new ClosingError('the model was closed before this call finished'));
      this.state = 'closed';
    })();
    return this.closed;
  }
}
