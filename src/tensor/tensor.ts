/**
 * The typed Tensor: a handle to a libtorch tensor with the operations the models need.
 * Every op returns a new Tensor registered with the current `tidy` scope. Shape mismatches
 * raise ShapeError naming both shapes; other libtorch failures raise TensorError.
 */
import { ShapeError, TensorError } from '../errors.js';
import { native, type NativeTensor } from './native.js';
import { track, type Disposable } from './scope.js';

/** Element types supported across the boundary. */
export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'uint8' | 'bool';

/** Typed array returned by `toArray()` for each dtype. */
export type TypedArrayOf = Float32Array | Float64Array | Int32Array | Uint8Array;

let live = 0;

/** Count of tensors created and not yet disposed (for leak tests). */
export function liveTensors(): number {
  return live;
}

function fmt(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function fail(op: string, err: unknown, shapes: (readonly number[])[]): never {
  const msg = err instanceof Error ? err.message : String(err);
  const shapeWords = /size|shape|dimension|dim|mat1|mat2|broadcast|expected|match/i;
  if (shapes.length > 0 && shapeWords.test(msg)) {
    const names = shapes.map(fmt).join(' and ');
    throw new ShapeError(`${op}: shapes ${names} do not fit (${msg.replace(/^libtorch: /, '')})`);
  }
  throw new TensorError(`${op}: ${msg.replace(/^libtorch: /, '')}`);
}

/** A scalar or a tensor as the second operand of an elementwise op. */
export type Operand = Tensor | number;

function h(o: Operand): NativeTensor | number {
  return typeof o === 'number' ? o : o.h;
}

/** A libtorch tensor. Create with the functions in `create.ts` (`tensor`, `zeros`, `randn`, ...). */
export class Tensor implements Disposable {
  /** @internal the native handle */
  readonly h: NativeTensor;
  private alive = true;

  /** @internal wraps a native handle; prefer the creation functions */
  constructor(handle: NativeTensor) {
    this.h = handle;
    live++;
    track(this);
  }

  /** Runs a native op that takes this tensor first, turning errors into ShapeError/TensorError. */
  private op(name: string, f: () => NativeTensor, other?: Operand): Tensor {
    try {
      return new Tensor(f());
    } catch (err) {
      const shapes = [this.shape];
      if (other instanceof Tensor) shapes.push(other.shape);
      return fail(name, err, shapes);
    }
  }

  get shape(): number[] {
    return native.shape(this.h);
  }
  get dtype(): DType {
    return native.dtype(this.h) as DType;
  }
  get rank(): number {
    return this.shape.length;
  }
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
  get disposed(): boolean {
    return !this.alive;
  }

  /** Releases the memory now. Safe to call twice. */
  dispose(): void {
    if (!this.alive) return;
    this.alive = false;
    live--;
    native.dispose(this.h);
  }

  // ---- conversion ----
  /** Copies the data out as a typed array (int64 and int32 come back as Int32Array). */
  toArray(): TypedArrayOf {
    const dt = this.dtype;
    if (dt === 'int64') return Int32Array.from(new BigInt64Array(this.bytesCopy()), (v) => Number(v));
    const buf = this.bytesCopy();
    if (dt === 'float32') return new Float32Array(buf);
    if (dt === 'float64') return new Float64Array(buf);
    if (dt === 'int32') return new Int32Array(buf);
    return new Uint8Array(buf);
  }
  /** Copies the data out as plain numbers. */
  toList(): number[] {
    return Array.from(this.toArray());
  }
  /** Raw little-endian bytes of a contiguous copy (for safetensors). */
  toBytes(): Buffer {
    return native.toBuffer(this.h);
  }
  private bytesCopy(): ArrayBuffer {
    const b = native.toBuffer(this.h);
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  }
  /** The single value of a one-element tensor. */
  item(): number {
    try {
      return native.item(this.h);
    } catch (err) {
      return fail('item', err, [this.shape]);
    }
  }
  to(dtype: DType): Tensor {
    return this.op('to', () => native.to(this.h, dtype));
  }
  float(): Tensor {
    return this.to('float32');
  }
  double(): Tensor {
    return this.to('float64');
  }
  long(): Tensor {
    return this.to('int64');
  }

  // ---- in place (no autograd; for loaders, optimizers and EMA) ----
  /** Copies `src`'s values into this tensor (shapes must match or broadcast). */
  copyFrom(src: Tensor): this {
    try {
      native.copy_(this.h, src.h);
    } catch (err) {
      fail('copyFrom', err, [this.shape, src.shape]);
    }
    return this;
  }
  /** Fills with a constant. */
  fill(value: number): this {
    native.fill_(this.h, value);
    return this;
  }
  /** this += w * (end - this): exponential moving averages. */
  lerpTowards(end: Tensor, w: number): this {
    native.lerp_(this.h, end.h, w);
    return this;
  }
  /** Exact equality of shape and values. */
  equals(o: Tensor): boolean {
    return native.equal(this.h, o.h);
  }

  // ---- autograd ----
  get requiresGrad(): boolean {
    return native.requiresGrad(this.h);
  }
  /** Marks this (leaf) tensor as a parameter whose gradient `backward()` fills. Returns this. */
  requiresGrad_(on = true): this {
    native.setRequiresGrad(this.h, on);
    return this;
  }
  /** The accumulated gradient, or null before the first backward. A new handle each call. */
  get grad(): Tensor | null {
    const g = native.grad(this.h);
    return g === null ? null : new Tensor(g);
  }
  /** Back-propagates from this scalar (or with an explicit output gradient). */
  backward(gradOutput?: Tensor): void {
    try {
      native.backward(this.h, gradOutput ? gradOutput.h : null);
    } catch (err) {
      fail('backward', err, [this.shape]);
    }
  }
  detach(): Tensor {
    return this.op('detach', () => native.detach(this.h));
  }

  // ---- elementwise ----
  add(o: Operand): Tensor { return this.op('add', () => native.add(this.h, h(o)), o); }
  sub(o: Operand): Tensor { return this.op('sub', () => native.sub(this.h, h(o)), o); }
  mul(o: Operand): Tensor { return this.op('mul', () => native.mul(this.h, h(o)), o); }
  div(o: Operand): Tensor { return this.op('div', () => native.div(this.h, h(o)), o); }
  pow(o: Operand): Tensor { return this.op('pow', () => native.pow(this.h, h(o)), o); }
  maximum(o: Operand): Tensor { return this.op('maximum', () => native.maximum(this.h, h(o)), o); }
  minimum(o: Operand): Tensor { return this.op('minimum', () => native.minimum(this.h, h(o)), o); }
  eq(o: Operand): Tensor { return this.op('eq', () => native.eq(this.h, h(o)), o); }
  gt(o: Operand): Tensor { return this.op('gt', () => native.gt(this.h, h(o)), o); }
  lt(o: Operand): Tensor { return this.op('lt', () => native.lt(this.h, h(o)), o); }
  ge(o: Operand): Tensor { return this.op('ge', () => native.ge(this.h, h(o)), o); }
  le(o: Operand): Tensor { return this.op('le', () => native.le(this.h, h(o)), o); }
  neg(): Tensor { return this.op('neg', () => native.neg(this.h)); }
  exp(): Tensor { return this.op('exp', () => native.exp(this.h)); }
  log(): Tensor { return this.op('log', () => native.log(this.h)); }
  sqrt(): Tensor { return this.op('sqrt', () => native.sqrt(this.h)); }
  rsqrt(): Tensor { return this.op('rsqrt', () => native.rsqrt(this.h)); }
  tanh(): Tensor { return this.op('tanh', () => native.tanh(this.h)); }
  sigmoid(): Tensor { return this.op('sigmoid', () => native.sigmoid(this.h)); }
  relu(): Tensor { return this.op('relu', () => native.relu(this.h)); }
  silu(): Tensor { return this.op('silu', () => native.silu(this.h)); }
  /** GELU; `tanh` selects the tanh approximation. */
  gelu(approximate: 'none' | 'tanh' = 'none'): Tensor { return this.op('gelu', () => native.gelu(this.h, approximate === 'tanh')); }
  abs(): Tensor { return this.op('abs', () => native.abs(this.h)); }
  square(): Tensor { return this.op('square', () => native.square(this.h)); }
  sin(): Tensor { return this.op('sin', () => native.sin(this.h)); }
  cos(): Tensor { return this.op('cos', () => native.cos(this.h)); }
  logSigmoid(): Tensor { return this.op('logSigmoid', () => native.logSigmoid(this.h)); }
  softplus(): Tensor { return this.op('softplus', () => native.softplus(this.h)); }
  floor(): Tensor { return this.op('floor', () => native.floor(this.h)); }
  round(): Tensor { return this.op('round', () => native.round(this.h)); }
  sign(): Tensor { return this.op('sign', () => native.sign(this.h)); }
  isfinite(): Tensor { return this.op('isfinite', () => native.isfinite(this.h)); }
  logicalNot(): Tensor { return this.op('logicalNot', () => native.logicalNot(this.h)); }
  clamp(lo: number | null, hi: number | null): Tensor { return this.op('clamp', () => native.clamp(this.h, lo, hi)); }
  maskedFill(mask: Tensor, value: number): Tensor { return this.op('maskedFill', () => native.maskedFill(this.h, mask.h, value), mask); }
  contiguous(): Tensor { return this.op('contiguous', () => native.contiguous(this.h)); }
  clone(): Tensor { return this.op('clone', () => native.clone(this.h)); }

  // ---- reductions (dims omitted: over everything) ----
  sum(dims?: number | number[], keepdim = false): Tensor { return this.op('sum', () => native.sum(this.h, dimList(dims), keepdim)); }
  mean(dims?: number | number[], keepdim = false): Tensor { return this.op('mean', () => native.mean(this.h, dimList(dims), keepdim)); }
  logsumexp(dims?: number | number[], keepdim = false): Tensor { return this.op('logsumexp', () => native.logsumexp(this.h, dimList(dims), keepdim)); }
  /** Population variance (divides by N). */
  variance(dims?: number | number[], keepdim = false): Tensor { return this.op('variance', () => native.variance(this.h, dimList(dims), keepdim)); }
  max(dims?: number | number[], keepdim = false): Tensor { return this.op('max', () => native.amax(this.h, dimList(dims), keepdim)); }
  min(dims?: number | number[], keepdim = false): Tensor { return this.op('min', () => native.amin(this.h, dimList(dims), keepdim)); }
  argmax(dim: number, keepdim = false): Tensor { return this.op('argmax', () => native.argmax(this.h, dim, keepdim)); }
  topk(k: number, dim = -1): [Tensor, Tensor] {
    try {
      const [v, i] = native.topk(this.h, k, dim);
      return [new Tensor(v), new Tensor(i)];
    } catch (err) {
      return fail('topk', err, [this.shape]);
    }
  }
  sort(dim = -1, descending = false): [Tensor, Tensor] {
    const [v, i] = native.sort(this.h, dim, descending);
    return [new Tensor(v), new Tensor(i)];
  }
  cumsum(dim: number): Tensor { return this.op('cumsum', () => native.cumsum(this.h, dim)); }
  norm(): Tensor { return this.op('norm', () => native.norm(this.h)); }

  // ---- shape ----
  reshape(...shape: number[]): Tensor { return this.op(`reshape to ${fmt(shape)}`, () => native.reshape(this.h, shape)); }
  permute(...dims: number[]): Tensor { return this.op('permute', () => native.permute(this.h, dims)); }
  transpose(a: number, b: number): Tensor { return this.op('transpose', () => native.transpose(this.h, a, b)); }
  unsqueeze(dim: number): Tensor { return this.op('unsqueeze', () => native.unsqueeze(this.h, dim)); }
  squeeze(dim: number): Tensor { return this.op('squeeze', () => native.squeeze(this.h, dim)); }
  expand(...shape: number[]): Tensor { return this.op(`expand to ${fmt(shape)}`, () => native.expand(this.h, shape)); }
  repeat(...reps: number[]): Tensor { return this.op('repeat', () => native.repeat(this.h, reps)); }
  flip(...dims: number[]): Tensor { return this.op('flip', () => native.flip(this.h, dims)); }
  flatten(startDim = 0): Tensor {
    const s = this.shape;
    const d = startDim < 0 ? s.length + startDim : startDim;
    return this.reshape(...s.slice(0, d), -1);
  }
  /** Elements `start` to `end` (exclusive) along `dim`, with `step`. Negative ends count from the back. */
  slice(dim: number, start: number, end?: number, step = 1): Tensor {
    const n = this.shape.at(dim) ?? 0;
    const e = end === undefined ? n : end;
    return this.op('slice', () => native.slice(this.h, dim, start, e, step));
  }
  /** Removes `dim` by picking `index` along it. */
  select(dim: number, index: number): Tensor { return this.op('select', () => native.select(this.h, dim, index)); }
  indexSelect(dim: number, index: Tensor): Tensor { return this.op('indexSelect', () => native.indexSelect(this.h, dim, index.h), index); }
  gather(dim: number, index: Tensor): Tensor { return this.op('gather', () => native.gather(this.h, dim, index.h), index); }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor { return this.op('scatterAdd', () => native.scatterAdd(this.h, dim, index.h, src.h), src); }
  /** Advanced indexing: one index tensor (or null for ':') per leading dimension. */
  index(indices: (Tensor | null)[]): Tensor { return this.op('index', () => native.index(this.h, indices.map((t) => (t ? t.h : null)))); }
  tril(k = 0): Tensor { return this.op('tril', () => native.tril(this.h, k)); }
  triu(k = 0): Tensor { return this.op('triu', () => native.triu(this.h, k)); }
  /** Constant padding; `pads` lists (before, after) pairs from the last dimension backwards. */
  pad(pads: number[], value = 0): Tensor { return this.op('pad', () => native.pad(this.h, pads, value)); }
  chunk(chunks: number, dim = 0): Tensor[] {
    try {
      return native.chunk(this.h, chunks, dim).map((t) => new Tensor(t));
    } catch (err) {
      return fail('chunk', err, [this.shape]);
    }
  }

  // ---- linear algebra ----
  matmul(o: Tensor): Tensor { return this.op('matmul', () => native.matmul(this.h, o.h), o); }
  bmm(o: Tensor): Tensor { return this.op('bmm', () => native.bmm(this.h, o.h), o); }
  softmax(dim: number): Tensor { return this.op('softmax', () => native.softmax(this.h, dim)); }
  logSoftmax(dim: number): Tensor { return this.op('logSoftmax', () => native.logSoftmax(this.h, dim)); }
}

function dimList(d: number | number[] | undefined): number[] | null {
  if (d === undefined) return null;
  return typeof d === 'number' ? [d] : d;
}

/** @internal wraps a native result, naming the op and input shapes on failure */
export function wrapOp(name: string, f: () => NativeTensor, inputs: (Tensor | null | undefined)[]): Tensor {
  try {
    return new Tensor(f());
  } catch (err) {
    return fail(name, err, inputs.filter((t): t is Tensor => t instanceof Tensor).map((t) => t.shape));
  }
}
