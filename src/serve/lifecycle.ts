/**
 * Running the reward server as a process: load models from specs (local checkpoints in a
 * worker thread by default, so forward passes do not block HTTP; a watchdog restarts a worker
 * that hangs), listen, warn when opened
 * beyond loopback without a token, and shut down gracefully on SIGTERM/SIGINT (stop taking
 * requests, finish in-flight work, close models and their workers), forcing exit if draining
 * takes too long.
 */
import { basename, resolve } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { loadRewardModel, ORACLE_SPEC } from '../rewards/load.js';
import type { RewardModel } from '../rewards/types.js';
import { buildServer, type RewardServer, type ServerOptions } from './app.js';
import { isChatModel } from './chat-model.js';
import type { ServedModel } from './registry.js';
import { DEFAULT_WORKER_THREADS, WorkerRewardModel } from './worker-model.js';

/** Hosts that only the local machine can reach. */
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
/** Extra time beyond the request timeout that draining may take before the process exits anyway. */
const DRAIN_GRACE_MS = 5_000;
/** `NAME=SPEC` renames a served model (NAME: letters, digits, '.', '_', '-'). */
const NAMED_SPEC = /^([A-Za-z0-9._-]+)=(.+)$/;

/**
 * The id a spec is served under: `NAME=` when given, a checkpoint folder's name, a URL's
 * `?model=`, else the model's own id.
 *
 * @example
 * servedId('runs/rm-small', model); // 'rm-small'
 * servedId('judge=http://127.0.0.1:9000/v1', model); // 'judge'
 */
export function servedId(spec: string, model: RewardModel): string {
  const named = NAMED_SPEC.exec(spec);
  if (named) return named[1]!;
  if (/^https?:\/\//iu.test(spec)) return new URL(spec).searchParams.get('model') ?? model.id;
  if (existsSync(spec)) return basename(resolve(spec));
  return model.id;
}

/** Where local checkpoints run: a worker thread of their own (default), or the main thread. */
export type ModelThread = 'worker' | 'main';
export const MODEL_THREADS: readonly ModelThread[] = ['worker', 'main'];

/** How loaded models run. */
export interface LoadServedOptions {
  /** Local checkpoints' thread (remote models and the oracle always run on the main thread). */
  readonly modelThread?: ModelThread;
  /** libtorch intra-op threads for local checkpoints (default for workers: 1, one core for HTTP and one for the model). */
  readonly threads?: number;
  /** Node options for model workers (tests pass a TypeScript loader). */
  readonly workerExecArgv?: readonly string[];
  /** Watchdog of model workers: ms without an answer before a worker counts as hung and is restarted (default DEFAULT_WORKER_TIMEOUT_MS; 0: off). */
  readonly workerTimeoutMs?: number;
  /** Ms a model worker may take to load its checkpoint before it is terminated (default DEFAULT_WORKER_LOAD_TIMEOUT_MS; 0: wait forever). */
  readonly workerLoadTimeoutMs?: number;
}

/** A spec naming a local checkpoint folder (not a URL, not the oracle). */
function isCheckpointFolder(spec: string): boolean {
  return !/^https?:\/\//iu.test(spec) && spec !== ORACLE_SPEC && existsSync(spec) && statSync(spec).isDirectory();
}

/**
 * Loads every `--model` spec into a served model (a model that can also chat serves both
 * routes). Local checkpoints load in a worker thread unless `modelThread` is 'main'.
 *
 * @example
 * const models = await loadServedModels(['runs/rm-small', 'oracle']);
 * const inThread = await loadServedModels(['runs/rm-small'], { modelThread: 'main' });
 */
export async function loadServedModels(specs: readonly string[], opts: LoadServedOptions = {}): Promise<ServedModel[]> {
  if (specs.length === 0) throw new ConfigError('serve needs at least one --model SPEC (a checkpoint folder, "oracle", or an http(s):// OpenAI-compatible URL)');
  const out: ServedModel[] = [];
  try {
    for (const spec of specs) {
      const named = NAMED_SPEC.exec(spec);
      const path = named ? named[2]! : spec;
      if ((opts.modelThread ?? 'worker') === 'worker' && isCheckpointFolder(path)) {
        const model = await WorkerRewardModel.start({
          source: { kind: 'checkpoint', dir: resolve(path) },
          threads: opts.threads ?? DEFAULT_WORKER_THREADS,
          ...(opts.workerExecArgv ? { execArgv: opts.workerExecArgv } : {}),
          ...(opts.workerTimeoutMs !== undefined ? { timeoutMs: opts.workerTimeoutMs } : {}),
          ...(opts.workerLoadTimeoutMs !== undefined ? { loadTimeoutMs: opts.workerLoadTimeoutMs } : {}),
        });
        const id = servedId(spec, model);
        out.push({ id, reward: model, ...(model.canChat ? { chat: model } : {}) });
      } else {
        if (opts.threads !== undefined && isCheckpointFolder(path)) (await import('../tensor/index.js')).setNumThreads(opts.threads);
        const model = await loadRewardModel(path);
        out.push({ id: servedId(spec, model), reward: model, ...(isChatModel(model) ? { chat: model } : {}) });
      }
      const id = out.at(-1)!.id;
      if (out.filter((m) => m.id === id).length > 1) throw new ConfigError(`two --model specs are both served as '${id}'; rename one with NAME=SPEC`);
    }
  } catch (err) {
    // Workers already started would keep the process alive.
    for (const m of out) await m.reward?.close?.();
    throw err;
  }
  return out;
}

/** Where and how to run. */
export interface RunOptions extends ServerOptions {
  readonly port: number;
  readonly host: string;
  /** Where notices go (stderr by default). */
  readonly log?: (line: string) => void;
}

/**
 * Starts the server and resolves with it once listening; SIGTERM/SIGINT drain and exit.
 *
 * @example
 * await runServer({ models, port: 8000, host: '127.0.0.1', batching: { maxBatch: 32 } });
 */
export async function runServer(opts: RunOptions): Promise<{ server: RewardServer; url: string }> {
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const server = await buildServer(opts);
  const url = await server.listen(opts.port, opts.host);
  if (!LOOPBACK.has(opts.host) && !opts.token) {
    log(`warning: listening on ${opts.host} without --token: anyone who can reach this address can use the models. Pass --token (or REWARDDANCE_SERVER_TOKEN) to require a bearer token.`);
  }
  log(`rewarddance serve: ${server.registry.ids().join(', ')} at ${url} (POST /v1/rewards, /v1/select, /v1/chat/completions; GET /v1/models, /healthz, /metrics)`);
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log(`${signal} again: exiting without draining`);
      process.exit(1);
    }
    stopping = true;
    log(`${signal}: draining in-flight requests, then exiting`);
    const deadline = setTimeout(() => {
      log('draining took too long; exiting');
      process.exit(1);
    }, (server.registry.get(undefined).rewardBatcher?.options.timeoutMs ?? 0) + DRAIN_GRACE_MS);
    deadline.unref();
    server.close().then(
      () => {
        log('drained; bye');
        process.exit(0);
      },
      (err: unknown) => {
        log(`shutdown failed: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return { server, url };
}
