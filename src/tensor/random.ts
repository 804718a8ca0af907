/**
 * Seeds torch's generator and the JS-side Rng from one number, so one seed reproduces a run.
 */
import { Rng } from '../util/rng.js';
import { native } from './native.js';

export { Rng };

/** Seeds torch's generator and returns a JS Rng from the same seed. */
export function seedAll(seed: number): Rng {
  native.manualSeed(seed);
  return new Rng(seed);
}
