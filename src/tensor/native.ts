/**
 * Loads the rdtorch addon (native/). This is the one module in the project that touches it;
 * everything else goes through `Tensor` (an ESLint rule enforces the boundary).
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Opaque handle to a libtorch tensor owned by the addon. */
export interface NativeTensor {
  readonly __nativeTensor: unique symbol;
}

type N = NativeTensor;
type Num = N | number;

/** The functions the addon exports (see native/*.cc). */
export interface NativeBinding {
  fromBuffer(data: ArrayBufferView, shape: number[], dtype: string): N;
  toBuffer(t: N): Buffer;
  zeros(shape: number[], dtype: string): N;
  ones(shape: number[], dtype: string): N;
  full(shape: number[], value: number, dtype: string): N;
  randn(shape: number[], dtype: string): N;
  rand(shape: number[], dtype: string): N;
  randint(low: number, high: number, shape: number[]): N;
  arange(start: number, end: number, step: number, dtype: string): N;
  eye(n: number, dtype: string): N;
  randperm(n: number): N;
  shape(t: N): number[];
  dtype(t: N): string;
  item(t: N): number;
  dispose(t: N): void;
  isDisposed(t: N): boolean;
  setRequiresGrad(t: N, on: boolean): void;
  requiresGrad(t: N): boolean;
  grad(t: N): N | null;
  backward(t: N, grad: N | null): void;
  zeroGrad(ts: N[]): void;
  setGradEnabled(on: boolean): void;
  isGradEnabled(): boolean;
  detach(t: N): N;
  autogradGrad(outputs: N[], inputs: N[], gradOutputs: N[] | null, createGraph: boolean): (N | null)[];
  manualSeed(seed: number): void;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  version(): string;
  parallelInfo(): string;
  // unary
  neg(t: N): N; exp(t: N): N; log(t: N): N; sqrt(t: N): N; rsqrt(t: N): N; tanh(t: N): N;
  sigmoid(t: N): N; relu(t: N): N; silu(t: N): N; abs(t: N): N; square(t: N): N; sin(t: N): N;
  cos(t: N): N; logSigmoid(t: N): N; softplus(t: N): N; floor(t: N): N; round(t: N): N; sign(t: N): N;
  contiguous(t: N): N; clone(t: N): N; isfinite(t: N): N; logicalNot(t: N): N;
  gelu(t: N, tanhApprox: boolean): N;
  // binary
  add(a: N, b: Num): N; sub(a: N, b: Num): N; mul(a: N, b: Num): N; div(a: N, b: Num): N;
  pow(a: N, b: Num): N; maximum(a: N, b: Num): N; minimum(a: N, b: Num): N;
  eq(a: N, b: Num): N; gt(a: N, b: Num): N; lt(a: N, b: Num): N; ge(a: N, b: Num): N; le(a: N, b: Num): N;
  clamp(t: N, lo: number | null, hi: number | null): N;
  where(cond: N, a: N, b: N): N;
  maskedFill(t: N, mask: N, value: number): N;
  to(t: N, dtype: string): N;
  // reductions
  sum(t: N, dims: number[] | null, keepdim: boolean): N;
  mean(t: N, dims: number[] | null, keepdim: boolean): N;
  logsumexp(t: N, dims: number[] | null, keepdim: boolean): N;
  variance(t: N, dims: number[] | null, keepdim: boolean): N;
  amax(t: N, dims: number[] | null, keepdim: boolean): N;
  amin(t: N, dims: number[] | null, keepdim: boolean): N;
  argmax(t: N, dim: number, keepdim: boolean): N;
  maxDim(t: N, dim: number, keepdim: boolean): [N, N];
  topk(t: N, k: number, dim: number): [N, N];
  sort(t: N, dim: number, descending: boolean): [N, N];
  cumsum(t: N, dim: number): N;
  norm(t: N): N;
  // shape
  reshape(t: N, shape: number[]): N; permute(t: N, dims: number[]): N; transpose(t: N, a: number, b: number): N;
  unsqueeze(t: N, d: number): N; squeeze(t: N, d: number): N; expand(t: N, shape: number[]): N;
  repeat(t: N, reps: number[]): N; flip(t: N, dims: number[]): N;
  cat(ts: N[], dim: number): N; stack(ts: N[], dim: number): N;
  slice(t: N, dim: number, start: number, end: number, step: number): N;
  select(t: N, dim: number, index: number): N;
  indexSelect(t: N, dim: number, index: N): N;
  gather(t: N, dim: number, index: N): N;
  scatterAdd(t: N, dim: number, index: N, src: N): N;
  index(t: N, indices: (N | null)[]): N;
  tril(t: N, k: number): N; triu(t: N, k: number): N;
  pad(t: N, pads: number[], value: number): N;
  chunk(t: N, chunks: number, dim: number): N[];
  // linear algebra and nn
  matmul(a: N, b: N): N; bmm(a: N, b: N): N; linear(x: N, w: N, b: N | null): N;
  conv2d(x: N, w: N, b: N | null, stride: number[], padding: number[], dilation: number[], groups: number): N;
  convTranspose2d(x: N, w: N, b: N | null, stride: number[], padding: number[], outputPadding: number[], groups: number, dilation: number[]): N;
  layerNorm(x: N, shape: number[], w: N | null, b: N | null, eps: number): N;
  groupNorm(x: N, groups: number, w: N | null, b: N | null, eps: number): N;
  softmax(t: N, dim: number): N; logSoftmax(t: N, dim: number): N;
  embedding(w: N, idx: N): N;
  crossEntropy(logits: N, target: N, ignoreIndex: number, reduction: string, labelSmoothing: number): N;
  bceWithLogits(logits: N, target: N, reduction: string): N;
  mseLoss(a: N, b: N): N;
  dropout(t: N, p: number, train: boolean): N;
  interpolate(t: N, size: number[], mode: string): N;
  avgPool2d(t: N, kernel: number[], stride: number[]): N;
  bernoulli(p: N): N;
  multinomial(p: N, n: number, replacement: boolean): N;
  // in place
  copy_(dst: N, src: N): void; fill_(t: N, v: number): void; normal_(t: N, mean: number, std: number): void;
  uniform_(t: N, lo: number, hi: number): void; lerp_(t: N, end: N, w: number): void;
  equal(a: N, b: N): boolean; allclose(a: N, b: N, rtol: number, atol: number): boolean;
  // allocator
  emptyCache(): void;
  memoryStats(): { liveBytes: number; cachedBytes: number };
  setCacheLimit(bytes: number): void;
  // optim
  adamwStep(params: N[], m: N[], v: N[], step: number, lr: number, b1: number, b2: number, eps: number, wd: number): void;
  clipGradNorm(params: N[], maxNorm: number): number;
}

const HERE = dirname(fileURLToPath(import.meta.url));
const CANDIDATES = [
  join(HERE, '..', '..', 'native', 'build', 'Release', 'rdtorch.node'),
  join(HERE, '..', '..', '..', 'native', 'build', 'Release', 'rdtorch.node'),
];

function load(): NativeBinding {
  const path = CANDIDATES.find((p) => existsSync(p));
  if (!path) {
    throw new Error(
      'rewarddance: the native libtorch addon is not built (native/build/Release/rdtorch.node is missing).\n' +
        '  Install libtorch (Debian: apt-get install -y libtorch-dev libopenblas0-pthread, or set LIBTORCH=/path/to/libtorch)\n' +
        '  and run `npm install` (or `npx node-gyp rebuild --directory native`).',
    );
  }
  const require = createRequire(import.meta.url);
  return require(path) as NativeBinding;
}

/** The loaded addon. */
export const native: NativeBinding = load();
