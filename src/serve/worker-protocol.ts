/**
 * The messages between the server's main thread and a model worker (worker-model.ts starts
 * it, model-worker.ts runs in it), and how errors cross the thread boundary: structured
 * cloning keeps only a plain Error, so AppErrors travel as {name, message, status} and are
 * rebuilt as the same class, keeping their HTTP status and public message.
 */
import { AppError, CheckpointError, ConfigError, HttpError, InputError, ShapeError } from '../errors.js';
import type { RewardMode, RewardQuery, RewardResult } from '../rewards/types.js';
import type { ChatCompletion, ChatRequest } from './chat-model.js';

/**
 * What the worker loads: a checkpoint folder (the local VLM: generative or Bradley-Terry), or
 * `exportName(options)` from an ES module (any RewardModel, e.g. the server's test doubles).
 */
export type WorkerModelSource =
  | { readonly kind: 'checkpoint'; readonly dir: string }
  | { readonly kind: 'module'; readonly url: string; readonly exportName: string; readonly options?: unknown };

/** What a worker is started with (its `workerData`). */
export interface WorkerData {
  readonly source: WorkerModelSource;
  /** libtorch intra-op threads in the worker. */
  readonly threads: number;
}

/** Tensor memory as the worker sees it (live tensors are counted per thread). */
export interface WorkerMemory {
  readonly liveTensors: number;
  /** Process-wide bytes held by live tensors (the allocator is shared by all threads). */
  readonly liveBytes: number;
}

/** Main thread to worker. */
export type ToWorker =
  | { readonly type: 'score'; readonly id: number; readonly queries: readonly RewardQuery[] }
  | { readonly type: 'complete'; readonly id: number; readonly requests: readonly ChatRequest[] }
  | { readonly type: 'memory'; readonly id: number }
  | { readonly type: 'close' };

/** An error as it crosses the thread boundary. */
export interface WireError {
  readonly name: string;
  readonly message: string;
  /** Set for AppErrors (the HTTP status they answer with). */
  readonly status?: number;
}

/** Worker to main thread. */
export type FromWorker =
  | { readonly type: 'ready'; readonly modelId: string; readonly mode: RewardMode; readonly chat: boolean }
  | { readonly type: 'load-failed'; readonly error: WireError }
  | { readonly type: 'result'; readonly id: number; readonly value: RewardResult[] | ChatCompletion[] | WorkerMemory }
  | { readonly type: 'failed'; readonly id: number; readonly error: WireError };

/**
 * An error as plain data for postMessage.
 *
 * @example
 * toWire(new InputError('bad image')); // { name: 'InputError', message: 'bad image', status: 400 }
 */
export function toWire(err: unknown): WireError {
  if (err instanceof AppError) return { name: err.name, message: err.message, status: err.status };
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: 'Error', message: String(err) };
}

/**
 * Rebuilds an error sent by `toWire`: the project's error classes by name, other AppErrors as
 * an HttpError with the same status, anything else as a plain Error.
 *
 * @example
 * fromWire({ name: 'ShapeError', message: 'image is 64x64', status: 400 }) instanceof ShapeError; // true
 */
export function fromWire(e: WireError): Error {
  switch (e.name) {
    case 'InputError':
      return new InputError(e.message);
    case 'ShapeError':
      return new ShapeError(e.message);
    case 'ConfigError':
      return new ConfigError(e.message);
    case 'CheckpointError':
      return new CheckpointError(e.message);
  }
  if (e.status !== undefined) return new HttpError(e.status, e.message);
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}
