/**
 * `loadRewardModel(spec)`: one entry from a model spec to a RewardModel, used by the CLI and
 * the server. `http(s)://...` is a remote OpenAI-compatible model; `oracle` is the world's
 * oracle; a folder is a local checkpoint. Dispatch is on the spec string only.
 */
import { existsSync, statSync } from 'node:fs';
import { InputError } from '../errors.js';
import { createRemoteRewardModel, type RemoteRewardConfig } from './remote.js';
import type { RewardMode, RewardModel } from './types.js';

export interface LoadOptions {
  /**
   * For models that can read queries either way (remote VLMs): how to prompt. Ignored by
   * local checkpoints, whose mode is fixed by training. A `?mode=` in a URL wins.
   */
  readonly mode?: RewardMode;
  /** Remote settings (concurrency, timeouts, key); URL parameters win. */
  readonly remote?: Partial<RemoteRewardConfig>;
}

/** The spec naming the world's oracle. */
export const ORACLE_SPEC = 'oracle';

/**
 * Loads a reward model from a spec.
 * @example
 * await loadRewardModel('http://127.0.0.1:8000/v1?model=Qwen/Qwen2-VL-7B-Instruct')
 * await loadRewardModel('runs/rm-small')   // a checkpoint folder
 * await loadRewardModel('oracle')
 */
export async function loadRewardModel(spec: string, opts: LoadOptions = {}): Promise<RewardModel> {
  const s = spec.trim();
  if (/^https?:\/\//iu.test(s)) return createRemoteRewardModel(s, { ...opts.remote, ...(opts.mode ? { mode: opts.mode } : {}) });
  if (s === ORACLE_SPEC) return loadOracle();
  if (existsSync(s)) {
    if (!statSync(s).isDirectory()) throw new InputError(`${s}: a reward model checkpoint is a folder (config.json + model.safetensors), not a file`);
    return loadCheckpoint(s);
  }
  throw new InputError(`unknown reward model '${spec}': expected a checkpoint folder, '${ORACLE_SPEC}', or an http(s):// URL of an OpenAI-compatible server (e.g. http://127.0.0.1:8000/v1?model=ID)`);
}

/** Local checkpoints: the tiny generative VLM (pairwise, pointwise) and its Bradley-Terry head. */
async function loadCheckpoint(dir: string): Promise<RewardModel> {
  const { LocalVlmRewardModel } = await import('./generative.js');
  return LocalVlmRewardModel.load(dir);
}

/** The module and export the oracle reward model is expected under (src/rewards/oracle.ts). */
const ORACLE_MODULE = './oracle.js';
const ORACLE_FACTORY = 'createOracleRewardModel';

/**
 * The world's oracle as a RewardModel: `createOracleRewardModel(): RewardModel` exported by
 * src/rewards/oracle.ts, imported on first use so this file does not depend on it being built.
 */
async function loadOracle(): Promise<RewardModel> {
  const specifier: string = ORACLE_MODULE;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(specifier)) as Record<string, unknown>;
  } catch (err) {
    throw new InputError(`the '${ORACLE_SPEC}' reward model is not available in this build (${ORACLE_MODULE} did not load: ${(err as Error).message})`);
  }
  const factory = mod[ORACLE_FACTORY];
  if (typeof factory !== 'function') throw new InputError(`the '${ORACLE_SPEC}' reward model is not available: ${ORACLE_MODULE} has no ${ORACLE_FACTORY}()`);
  return (await (factory as () => RewardModel | Promise<RewardModel>)()) satisfies RewardModel;
}
