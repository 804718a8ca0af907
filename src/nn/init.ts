/**
 * Initialisers. GPT-2 style normal(0, 0.02) for linear and embedding weights, zeros for
 * biases, ones for norm gains, and PyTorch's default uniform for convolutions.
 */
import { noGrad, randn, zeros, ones, rand, type Tensor } from '../tensor/index.js';

/** GPT-2's weight standard deviation (Radford et al. 2019, nanoGPT's default). */
export const DEFAULT_INIT_STD = 0.02;

export function normalInit(shape: number[], std = DEFAULT_INIT_STD): Tensor {
  return noGrad(() => {
    const r = randn(shape);
    const out = r.mul(std);
    r.dispose();
    return out;
  });
}

/** Uniform(-bound, bound), bound = 1/sqrt(fanIn): PyTorch's default for Linear/Conv weights (kaiming_uniform a=sqrt(5)). */
export function fanInUniform(shape: number[], fanIn: number): Tensor {
  const bound = 1 / Math.sqrt(fanIn);
  return noGrad(() => {
    const r = rand(shape);
    const out = r.mul(2 * bound).sub(bound);
    r.dispose();
    return out;
  });
}

export function zerosInit(shape: number[]): Tensor {
  return zeros(shape);
}

export function onesInit(shape: number[]): Tensor {
  return ones(shape);
}
