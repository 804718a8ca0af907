/**
 * Checkpoint folders: `model.safetensors` + `config.json` (+ optional `optimizer.safetensors`
 * and `trainer.json` for exact resume). A folder is written under a temporary name and renamed
 * into place, so a killed save never leaves a broken checkpoint where the old one was.
 */
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CheckpointError } from '../errors.js';
import { noGrad, tidy, type Tensor } from '../tensor/index.js';
import { readJson, writeFileAtomic, writeJsonAtomic } from '../util/fs.js';
import type { Module } from './module.js';
import { decodeSafetensors, encodeSafetensors, loadSafetensors, saveSafetensors } from './safetensors.js';

export const MODEL_FILE = 'model.safetensors';
export const CONFIG_FILE = 'config.json';
export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const TRAINER_FILE = 'trainer.json';

/** What goes into a checkpoint folder. */
export interface CheckpointContent {
  /** Model config (with a `kind` naming the model family). */
  readonly config: Record<string, unknown>;
  readonly model: Module;
  readonly optimizer?: { step: number; tensors: Map<string, Tensor> };
  /** Trainer state for resume (step, RNG state, data cursor, metrics). */
  readonly trainer?: Record<string, unknown>;
  /** Files of the existing folder to carry into the new one (e.g. metrics.jsonl). */
  readonly keep?: readonly string[];
}

/**
 * Saves a checkpoint folder atomically (write `.dir.tmp`, then swap).
 * @example saveCheckpoint('runs/rm', { config, model });
 */
export function saveCheckpoint(dir: string, c: CheckpointContent): void {
  writeFolderAtomic(dir, (tmp) => {
    const weights = new Map(c.model.namedParameters().map((p) => [p.name, p.tensor]));
    saveSafetensors(join(tmp, MODEL_FILE), weights, { format: 'pt' });
    writeJsonAtomic(join(tmp, CONFIG_FILE), c.config);
    if (c.optimizer) saveSafetensors(join(tmp, OPTIMIZER_FILE), c.optimizer.tensors, { step: String(c.optimizer.step) });
    if (c.trainer) writeJsonAtomic(join(tmp, TRAINER_FILE), c.trainer);
    for (const name of c.keep ?? []) if (existsSync(join(dir, name))) copyFileSync(join(dir, name), join(tmp, name));
  });
}

/** Fills a fresh temporary sibling of `dir`, then swaps it into place (an existing `dir` is replaced only once the new one is complete). */
function writeFolderAtomic(dir: string, fill: (tmp: string) => void): void {
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  const tmp = join(parent, `.${basename(dir)}.${process.pid}.tmp`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  fill(tmp);
  const old = join(parent, `.${basename(dir)}.${process.pid}.old`);
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
}

/**
 * Writes an inference copy of checkpoint `src` to `dst`: its config and weights, without the
 * optimizer or trainer state; `half` stores float32 weights as float16 (half the bytes; they
 * load back as float32). Refuses an existing `dst` (nothing is overwritten) and writes
 * atomically. Returns the weight files' sizes and the largest change any weight saw.
 * @example exportCheckpoint('runs/rm', 'models/my-rm', { half: true });
 */
export function exportCheckpoint(src: string, dst: string, opts: { half?: boolean } = {}): { bytesIn: number; bytesOut: number; maxAbsChange: number; tensors: number } {
  const config = readCheckpointConfig(src);
  if (existsSync(dst)) throw new CheckpointError(`${dst} already exists; choose a new --out folder (nothing was written)`);
  const file = join(src, MODEL_FILE);
  const { tensors, metadata } = loadSafetensors(file);
  try {
    const bytes = encodeSafetensors(tensors, metadata, { half: opts.half === true });
    const back = decodeSafetensors(bytes, `${dst}/${MODEL_FILE}`).tensors;
    let maxAbsChange = 0;
    try {
      for (const [name, t] of tensors) {
        if (t.dtype !== 'float32') continue;
        maxAbsChange = Math.max(maxAbsChange, tidy(() => back.get(name)!.sub(t).abs().max().item()));
      }
    } finally {
      for (const t of back.values()) t.dispose();
    }
    writeFolderAtomic(dst, (tmp) => {
      writeFileAtomic(join(tmp, MODEL_FILE), bytes);
      writeJsonAtomic(join(tmp, CONFIG_FILE), config);
    });
    return { bytesIn: statSync(file).size, bytesOut: bytes.byteLength, maxAbsChange, tensors: tensors.size };
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}

/** Reads a checkpoint's config.json. */
export function readCheckpointConfig(dir: string): Record<string, unknown> {
  const file = join(dir, CONFIG_FILE);
  if (!existsSync(file)) throw new CheckpointError(`${dir}: not a checkpoint folder (no ${CONFIG_FILE}); train one or point at the folder holding ${MODEL_FILE} and ${CONFIG_FILE}`);
  const v = readJson(file);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new CheckpointError(`${file}: config must be a JSON object`);
  return v as Record<string, unknown>;
}

/**
 * Copies weights from `model.safetensors` into `model`'s parameters. Every parameter must be
 * present with the same shape (unless `strict` is false, which skips missing ones).
 */
export function loadWeights(dir: string, model: Module, opts: { strict?: boolean } = {}): { missing: string[]; unexpected: string[] } {
  const file = join(dir, MODEL_FILE);
  const { tensors } = loadSafetensors(file);
  const missing: string[] = [];
  const params = model.namedParameters();
  try {
    for (const p of params) {
      const src = tensors.get(p.name);
      if (!src) {
        missing.push(p.name);
        continue;
      }
      if (src.shape.join(',') !== p.tensor.shape.join(',')) {
        throw new CheckpointError(`${file}: '${p.name}' has shape [${src.shape.join(', ')}] but the model expects [${p.tensor.shape.join(', ')}] (checkpoint from a different config?)`);
      }
      noGrad(() => p.tensor.copyFrom(src));
    }
    if (missing.length > 0 && opts.strict !== false) {
      throw new CheckpointError(`${file}: missing ${missing.length} parameter(s), e.g. ${missing.slice(0, 3).join(', ')} (checkpoint from a different model?)`);
    }
    const known = new Set(params.map((p) => p.name));
    return { missing, unexpected: [...tensors.keys()].filter((k) => !known.has(k)) };
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}

/** Reads the optimizer state saved beside a model, or null when there is none. */
export function loadOptimizerState(dir: string): { step: number; tensors: Map<string, Tensor> } | null {
  const file = join(dir, OPTIMIZER_FILE);
  if (!existsSync(file)) return null;
  const { tensors, metadata } = loadSafetensors(file);
  return { step: Number(metadata.step ?? 0), tensors };
}
