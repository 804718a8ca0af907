/**
 * `rewarddance serve`: the HTTP reward server (src/serve) over one or more reward models, with
 * dynamic batching, limits, optional bearer auth and graceful shutdown on SIGTERM. Local
 * checkpoints run in a worker thread (`--model-thread main` keeps them on the event loop),
 * watched for hangs (`--worker-timeout-ms`).
 */
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import { DEFAULT_BATCHER_OPTIONS } from '../../serve/batching.js';
import { DEFAULT_BODY_LIMIT_BYTES } from '../../serve/app.js';
import { loadServedModels, MODEL_THREADS, runServer, type ModelThread } from '../../serve/lifecycle.js';
import { DEFAULT_WORKER_LOAD_TIMEOUT_MS, DEFAULT_WORKER_THREADS, DEFAULT_WORKER_TIMEOUT_MS, MAX_WORKER_TIMEOUT_MS } from '../../serve/worker-model.js';
import { DEFAULT_MEDIA_LIMITS } from '../../serve/media.js';
import { action, intOption } from '../run.js';

/** The port vLLM and most OpenAI-compatible servers use by default. */
const DEFAULT_PORT = 8000;
const MIB = 1024 * 1024;
/** Environment variable read for the token when --token is absent (keeps it out of `ps`). */
const TOKEN_ENV = 'REWARDDANCE_SERVER_TOKEN';

interface ServeOpts {
  model: string[];
  port?: string;
  host: string;
  token?: string;
  maxBatch?: string;
  maxWaitMs?: string;
  queue?: string;
  timeoutMs?: string;
  bodyLimitMb?: string;
  maxFrames?: string;
  log?: boolean;
  modelThread: string;
  threads?: string;
  workerTimeoutMs?: string;
  workerLoadTimeoutMs?: string;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** A timeout flag in ms: an integer from 0 (`zero`: what 0 does) to the longest delay setTimeout honours. */
function msOption(flag: string, value: string | undefined, fallback: number, zero: string): number {
  const ms = intOption(flag, value, fallback, 0);
  if (ms > MAX_WORKER_TIMEOUT_MS) throw new InputError(`--${flag} must be at most ${MAX_WORKER_TIMEOUT_MS} (about 24.8 days), got '${value}'; 0 ${zero}`);
  return ms;
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve reward models over HTTP: batched /v1/rewards, /v1/select, OpenAI-compatible /v1/chat/completions')
    .option('--model <spec>', 'checkpoint folder, "oracle", or an OpenAI-compatible URL; repeat to serve several; NAME=SPEC renames', collect, [])
    .option('--port <n>', `port (default ${DEFAULT_PORT}; 0 picks a free one)`)
    .option('--host <addr>', 'address to bind; anything but loopback opens the server to the network', '127.0.0.1')
    .option('--token <token>', `require "Authorization: Bearer <token>" (default: $${TOKEN_ENV})`)
    .option('--max-batch <n>', `most queries per model call; 1 turns batching off (default ${DEFAULT_BATCHER_OPTIONS.maxBatch})`)
    .option('--max-wait-ms <ms>', `longest wait for a fuller batch (default ${DEFAULT_BATCHER_OPTIONS.maxWaitMs})`)
    .option('--queue <n>', `most queued queries before answering 429 (default ${DEFAULT_BATCHER_OPTIONS.maxQueue})`)
    .option('--timeout-ms <ms>', `per-request deadline, queueing included (default ${DEFAULT_BATCHER_OPTIONS.timeoutMs})`)
    .option('--body-limit-mb <n>', `largest request body (default ${DEFAULT_BODY_LIMIT_BYTES / MIB})`)
    .option('--max-frames <n>', `most frames per video (default ${DEFAULT_MEDIA_LIMITS.maxFrames})`)
    .option('--log', 'log every request as a JSON line on stdout')
    .option('--model-thread <where>', `where local checkpoints run: ${MODEL_THREADS.join(' | ')} (worker: forward passes off the HTTP event loop)`, 'worker')
    .option('--threads <n>', `libtorch intra-op threads for local checkpoints (default ${DEFAULT_WORKER_THREADS}: one core runs the model, one serves HTTP)`)
    .option('--worker-timeout-ms <ms>', `a model worker with work that answers nothing for this long is terminated and restarted, and its batch fails with 504; 0 turns the watchdog off (default ${DEFAULT_WORKER_TIMEOUT_MS})`)
    .option('--worker-load-timeout-ms <ms>', `a model worker that has not loaded its checkpoint after this long is terminated: the server does not start, or a restarted model stays down (503); 0 waits forever (default ${DEFAULT_WORKER_LOAD_TIMEOUT_MS})`)
    .action(
      action(async (opts: ServeOpts) => {
        if (opts.model.length === 0) throw new InputError('serve needs --model SPEC (a checkpoint folder, "oracle", or http://host:port/v1?model=ID)');
        if (!(MODEL_THREADS as readonly string[]).includes(opts.modelThread)) throw new InputError(`--model-thread must be one of ${MODEL_THREADS.join(', ')}, got '${opts.modelThread}'`);
        const workerTimeoutMs = msOption('worker-timeout-ms', opts.workerTimeoutMs, DEFAULT_WORKER_TIMEOUT_MS, 'turns the watchdog off');
        const workerLoadTimeoutMs = msOption('worker-load-timeout-ms', opts.workerLoadTimeoutMs, DEFAULT_WORKER_LOAD_TIMEOUT_MS, 'waits forever');
        const models = await loadServedModels(opts.model, { modelThread: opts.modelThread as ModelThread, threads: intOption('threads', opts.threads, DEFAULT_WORKER_THREADS, 1), workerTimeoutMs, workerLoadTimeoutMs });
        const token = opts.token ?? process.env[TOKEN_ENV];
        await runServer({
          models,
          port: intOption('port', opts.port, DEFAULT_PORT, 0),
          host: opts.host,
          ...(token ? { token } : {}),
          batching: {
            maxBatch: intOption('max-batch', opts.maxBatch, DEFAULT_BATCHER_OPTIONS.maxBatch, 1),
            maxWaitMs: intOption('max-wait-ms', opts.maxWaitMs, DEFAULT_BATCHER_OPTIONS.maxWaitMs, 0),
            maxQueue: intOption('queue', opts.queue, DEFAULT_BATCHER_OPTIONS.maxQueue, 1),
            timeoutMs: intOption('timeout-ms', opts.timeoutMs, DEFAULT_BATCHER_OPTIONS.timeoutMs, 0),
          },
          bodyLimitBytes: intOption('body-limit-mb', opts.bodyLimitMb, DEFAULT_BODY_LIMIT_BYTES / MIB, 1) * MIB,
          media: { maxFrames: intOption('max-frames', opts.maxFrames, DEFAULT_MEDIA_LIMITS.maxFrames, 1) },
          logger: opts.log === true,
        });
      }),
    );
}
