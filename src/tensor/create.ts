/**
 * Creating tensors, seeds, threads and no-grad regions.
 */
import { InputError, ShapeError } from '../errors.js';
import { native } from './native.js';
import { Tensor, wrapOp, type DType } from './tensor.js';

type Nested = number | boolean | Nested[];

function flattenNested(data: Nested, shape: number[], out: number[], depth: number): void {
  if (Array.isArray(data)) {
    if (shape.length <= depth) shape.push(data.length);
    else if (shape[depth] !== data.length) {
      throw new ShapeError(`tensor(): ragged nested array: expected ${shape[depth]} elements at depth ${depth}, got ${data.length}`);
    }
    for (const d of data) flattenNested(d, shape, out, depth + 1);
  } else {
    out.push(typeof data === 'boolean' ? (data ? 1 : 0) : data);
  }
}

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * A tensor from numbers, nested arrays or a typed array.
 * @example tensor([[1, 2], [3, 4]]) // float32 (2, 2)
 * @example tensor(new Float32Array(6), [2, 3])
 */
export function tensor(data: Nested | ArrayLike<number>, shape?: number[], dtype: DType = 'float32'): Tensor {
  let flat: ArrayLike<number>;
  let dims: number[];
  if (ArrayBuffer.isView(data)) {
    flat = data as unknown as ArrayLike<number>;
    dims = shape ?? [flat.length];
  } else {
    const out: number[] = [];
    const inferred: number[] = [];
    flattenNested(data as Nested, inferred, out, 0);
    flat = out;
    dims = shape ?? inferred;
  }
  if (product(dims) !== flat.length) {
    throw new ShapeError(`tensor(): ${flat.length} values do not fill shape [${dims.join(', ')}]`);
  }
  return fromArray(flat, dims, dtype);
}

function fromArray(flat: ArrayLike<number>, shape: number[], dtype: DType): Tensor {
  let view: ArrayBufferView;
  switch (dtype) {
    case 'float32': view = flat instanceof Float32Array ? flat : Float32Array.from(flat); break;
    case 'float64': view = flat instanceof Float64Array ? flat : Float64Array.from(flat); break;
    case 'int64': view = BigInt64Array.from(Array.from(flat, (v) => BigInt(Math.trunc(v)))); break;
    case 'int32': view = flat instanceof Int32Array ? flat : Int32Array.from(flat); break;
    case 'uint8':
    case 'bool': view = flat instanceof Uint8Array ? flat : Uint8Array.from(flat, (v) => (dtype === 'bool' ? (v ? 1 : 0) : v)); break;
    default: throw new InputError(`unknown dtype ${String(dtype)}`);
  }
  return wrapOp('tensor', () => native.fromBuffer(view, shape, dtype), []);
}

/** A tensor over raw little-endian bytes (safetensors payloads). */
export function fromBytes(bytes: Uint8Array, shape: number[], dtype: DType): Tensor {
  return wrapOp('fromBytes', () => native.fromBuffer(bytes, shape, dtype), []);
}

/** A scalar tensor. */
export function scalar(v: number, dtype: DType = 'float32'): Tensor {
  return fromArray([v], [], dtype);
}

export function zeros(shape: number[], dtype: DType = 'float32'): Tensor {
  return wrapOp('zeros', () => native.zeros(shape, dtype), []);
}
export function ones(shape: number[], dtype: DType = 'float32'): Tensor {
  return wrapOp('ones', () => native.ones(shape, dtype), []);
}
export function full(shape: number[], value: number, dtype: DType = 'float32'): Tensor {
  return wrapOp('full', () => native.full(shape, value, dtype), []);
}
/** Standard normal samples from torch's generator (seeded by `manualSeed`). */
export function randn(shape: number[], dtype: DType = 'float32'): Tensor {
  return wrapOp('randn', () => native.randn(shape, dtype), []);
}
/** Uniform [0, 1) samples. */
export function rand(shape: number[], dtype: DType = 'float32'): Tensor {
  return wrapOp('rand', () => native.rand(shape, dtype), []);
}
/** Integers in [low, high) as int64. */
export function randint(low: number, high: number, shape: number[]): Tensor {
  return wrapOp('randint', () => native.randint(low, high, shape), []);
}
export function randperm(n: number): Tensor {
  return wrapOp('randperm', () => native.randperm(n), []);
}
export function arange(start: number, end: number, step = 1, dtype: DType = 'int64'): Tensor {
  return wrapOp('arange', () => native.arange(start, end, step, dtype), []);
}
export function eye(n: number, dtype: DType = 'float32'): Tensor {
  return wrapOp('eye', () => native.eye(n, dtype), []);
}

/** Concatenates along `dim`. */
export function cat(ts: Tensor[], dim = 0): Tensor {
  return wrapOp('cat', () => native.cat(ts.map((t) => t.h), dim), ts);
}
/** Stacks along a new `dim`. */
export function stack(ts: Tensor[], dim = 0): Tensor {
  return wrapOp('stack', () => native.stack(ts.map((t) => t.h), dim), ts);
}
/** Elementwise choice: `a` where `cond`, else `b`. */
export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  return wrapOp('where', () => native.where(cond.h, a.h, b.h), [cond, a, b]);
}

/** Seeds torch's generator. Pair it with `Rng` (random.ts) for JS-side choices. */
export function manualSeed(seed: number): void {
  native.manualSeed(seed);
}

/** Sets libtorch's intra-op thread count (DESIGN.md: 1 is best for small transformers on 2 cores). */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new InputError(`threads must be a positive integer, got ${n}`);
  native.setNumThreads(n);
}
export function getNumThreads(): number {
  return native.getNumThreads();
}
/** libtorch's version string. */
export function torchVersion(): string {
  return native.version();
}

/**
 * Runs `fn` with gradient recording off (inference, evaluation, in-place updates).
 * @example const logits = noGrad(() => model.forward(x));
 */
export function noGrad<R>(fn: () => R): R {
  const prev = native.isGradEnabled();
  native.setGradEnabled(false);
  try {
    return fn();
  } finally {
    native.setGradEnabled(prev);
  }
}

/** Whether autograd is recording now. */
export function isGradEnabled(): boolean {
  return native.isGradEnabled();
}

/**
 * Gradients of `outputs` with respect to `inputs` without touching `.grad` (torch.autograd.grad).
 * `createGraph` keeps the graph for higher-order gradients.
 */
export function grad(outputs: Tensor[], inputs: Tensor[], gradOutputs?: Tensor[], createGraph = false): (Tensor | null)[] {
  const res = native.autogradGrad(outputs.map((t) => t.h), inputs.map((t) => t.h), gradOutputs ? gradOutputs.map((t) => t.h) : null, createGraph);
  return res.map((g) => (g === null ? null : new Tensor(g)));
}

/** Bytes held by live tensors and by the allocator's cache of freed blocks (native/allocator.cc). */
export function memoryStats(): { liveBytes: number; cachedBytes: number } {
  return native.memoryStats();
}

/** Returns cached free blocks to the system. */
export function emptyCache(): void {
  native.emptyCache();
}

/** Caps the bytes the allocator keeps cached for reuse (default 2 GiB). */
export function setCacheLimit(bytes: number): void {
  native.setCacheLimit(bytes);
}
