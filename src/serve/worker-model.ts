/**
 * A reward (and chat) model that runs in a worker_threads worker, so that the forward pass
 * does not block the server's event loop: while the worker computes one batch, the main thread
 * parses HTTP, decodes base64 and PNGs and queues the next batch. The worker owns the model and
 * its tensors (model-worker.ts); batches cross as structured clones of decoded images.
 *
 * If the worker dies (an uncaught error, exhausted heap), the batch it was running fails with
 * a 500 that says so, and a fresh worker is started for the next batch; after
 * MAX_CRASHES_PER_WINDOW crashes within CRASH_WINDOW_MS it stays down and calls answer 503.
 * A crash inside native code (a segfault or abort in libtorch) ends the whole process: threads
 * share it.
 */
import { Worker } from 'node:worker_threads';
import { CheckpointError, HttpError } from '../errors.js';
import type { RewardMode, RewardModel, RewardQuery, RewardResult } from '../rewards/types.js';
import type { ChatCompletion, ChatModel, ChatRequest } from './chat-model.js';
import { ClosingError } from './batching.js';
import { ModelCapabilityError } from './errors.js';
import { fromWire, type FromWorker, type ToWorker, type WorkerData, type WorkerMemory, type WorkerModelSource } from './worker-protocol.js';

/** Crashes tolerated within CRASH_WINDOW_MS (a minute) before the worker is left down. */
export const MAX_CRASHES_PER_WINDOW = 5;
const CRASH_WINDOW_MS = 60_000;
/** How long a closing worker may take to dispose its model before it is terminated. */
const CLOSE_TIMEOUT_MS = 5_000;
/** One libtorch thread: on 2 cores, one core runs the model while the other serves HTTP. */
export const DEFAULT_WORKER_THREADS = 1;

/** How to start a model worker. */
export interface WorkerModelOptions {
  readonly source: WorkerModelSource;
  /** libtorch intra-op threads in the worker (default DEFAULT_WORKER_THREADS). */
  readonly threads?: number;
  /** Node options for the worker (tests pass a TypeScript loader to run src/ directly). */
  readonly execArgv?: readonly string[];
  /** Crashes tolerated within a minute before the worker is left down (default MAX_CRASHES_PER_WINDOW). */
  readonly maxCrashesPerMinute?: number;
}

/** The worker died while running this call (or before it could start). */
export class WorkerCrashedError extends HttpError {
  constructor(message: string) {
    super(500, message);
  }
}

interface Call {
  // The worker answers each call type with its own value type (see worker-protocol.ts).
  resolve(value: never): void;
  reject(err: Error): void;
}

/** The worker entry next to this module: model-worker.js when built, model-worker.ts under a TypeScript loader. */
function workerEntry(): URL {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./model-worker${ext}`, import.meta.url);
}

/**
 * A RewardModel and ChatModel whose every call runs in a dedicated worker thread.
 *
 * @example
 * const rm = await WorkerRewardModel.start({ source: { kind: 'checkpoint', dir: 'runs/rm-small' } });
 * await rm.score([query]); // computed off the main thread
 * await rm.close();        // disposes the model and ends the worker
 */
export class WorkerRewardModel implements RewardModel, ChatModel {
  readonly id: string;
  readonly mode: RewardMode;
  /** Whether the worker's model also generates tokens (serve it on /v1/chat/completions). */
  readonly canChat: boolean;
  /** Workers started after a crash so far. */
  restarts = 0;
  private worker: Worker;
  private ready: Promise<void>;
  private readonly calls = new Map<number, Call>();
  private nextId = 1;
  private crashes: number[] = [];
  private lastError: string | undefined;
  private state: 'up' | 'down' | 'closing' | 'closed' = 'up';
  private closed: Promise<void> | undefined;

  private constructor(private readonly opts: WorkerModelOptions, first: { worker: Worker; modelId: string; mode: RewardMode; chat: boolean }) {
    this.worker = first.worker;
    this.id = first.modelId;
    this.mode = first.mode;
    this.canChat = first.chat;
    this.ready = Promise.resolve();
    this.watch(this.worker);
  }

  /**
   * Starts the worker and waits until its model is loaded; a load failure rejects with the
   * worker's error (e.g. a CheckpointError naming the folder).
   */
  static async start(opts: WorkerModelOptions): Promise<WorkerRewardModel> {
    const first = await WorkerRewardModel.spawn(opts);
    return new WorkerRewardModel(opts, first);
  }

  private static spawn(opts: WorkerModelOptions): Promise<{ worker: Worker; modelId: string; mode: RewardMode; chat: boolean }> {
    const data: WorkerData = { source: opts.source, threads: opts.threads ?? DEFAULT_WORKER_THREADS };
    const worker = new Worker(workerEntry(), { workerData: data, ...(opts.execArgv ? { execArgv: [...opts.execArgv] } : {}) });
    return new Promise((resolve, reject) => {
      let error: Error | undefined;
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
    worker.on('message', (m: FromWorker) => {
      if (m.type !== 'result' && m.type !== 'failed') return;
      const call = this.calls.get(m.id);
      if (!call) return;
      this.calls.delete(m.id);
      if (m.type === 'result') call.resolve(m.value as never);
      else call.reject(fromWire(m.error));
    });
    worker.on('error', (err) => void (this.lastError = err.message));
    worker.on('exit', (code) => this.onExit(worker, code));
  }

  private get maxCrashes(): number {
    return this.opts.maxCrashesPerMinute ?? MAX_CRASHES_PER_WINDOW;
  }

  private onExit(worker: Worker, code: number): void {
    if (worker !== this.worker) return;
    if (this.state === 'closing' || this.state === 'closed') {
      this.failAll(new ClosingError('the model was closed before this call finished'));
      return;
    }
    const why = this.lastError ? `: ${this.lastError}` : '';
    this.lastError = undefined;
    this.failAll(new WorkerCrashedError(`the model worker for '${this.id}' crashed (exit code ${code}${why}) while this batch was running; a fresh worker takes the next batch`));
    const now = performance.now();
    this.crashes = [...this.crashes.filter((t) => now - t < CRASH_WINDOW_MS), now];
    if (this.crashes.length > this.maxCrashes) {
      this.state = 'down';
      return;
    }
    this.restarts++;
    this.ready = WorkerRewardModel.spawn(this.opts).then(
      (next) => {
        if (this.state === 'closing' || this.state === 'closed') {
          void next.worker.terminate();
          return;
        }
        this.worker = next.worker;
        this.watch(next.worker);
      },
      (err: unknown) => {
        this.state = 'down';
        this.lastError = (err as Error).message;
      },
    );
  }

  private failAll(err: Error): void {
    const calls = [...this.calls.values()];
    this.calls.clear();
    for (const c of calls) c.reject(err);
  }

  private async call<T>(message: (id: number) => ToWorker): Promise<T> {
    await this.ready;
    if (this.state === 'closing' || this.state === 'closed') throw new ClosingError(`the model '${this.id}' is closed`);
    if (this.state === 'down') {
      throw new HttpError(503, `the model worker for '${this.id}' crashed more than ${this.maxCrashes} times within ${CRASH_WINDOW_MS / 1000} s and was not restarted${this.lastError ? ` (last: ${this.lastError})` : ''}; restart the server`);
    }
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.calls.set(id, { resolve, reject });
      this.worker.postMessage(message(id));
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

  /** The worker's thread id (changes after a restart). */
  get threadId(): number {
    return this.worker.threadId;
  }

  /** Disposes the model and ends the worker (terminated if it does not end within CLOSE_TIMEOUT_MS). */
  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.ready.catch(() => undefined);
      const wasUp = this.state === 'up';
      this.state = 'closing';
      const worker = this.worker;
      const exited = new Promise<void>((resolve) => {
        if (worker.threadId < 0) return resolve();
        worker.once('exit', () => resolve());
      });
      if (wasUp) worker.postMessage({ type: 'close' } satisfies ToWorker);
      else void worker.terminate();
      const timer = setTimeout(() => void worker.terminate(), CLOSE_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
      this.state = 'closed';
    })();
    return this.closed;
  }
}
