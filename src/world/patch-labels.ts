/**
 * Which object each image patch shows: the ground truth for grounded VLM pretraining, in which
 * every image token predicts the class word of the object under it ("nothing" for background).
 * Computed from the renderer's own coverage, so occlusion follows the drawing order.
 */
import type { Scene } from './scene-types.js';
import { objectBox, shapeCoverage, DEFAULT_SIZE } from './render.js';

/** A pixel belongs to the last-drawn object covering at least this much of it. */
const OWN_ALPHA = 0.5;

/**
 * For each patch of a `side`-pixel render cut into `patch`-pixel squares (row-major), the index
 * of the object owning most of its pixels, or -1 when fewer than `minPixels` pixels belong to
 * any object.
 * @example patchOwners(scene, 32, 4) // 64 entries, -1 for background patches
 */
export function patchOwners(scene: Scene, side = DEFAULT_SIZE, patch = 4, minPixels = 3): number[] {
  const owner = new Int16Array(side * side).fill(-1);
  scene.objects.forEach((o, i) => {
    const b = objectBox(o, side);
    const cov = shapeCoverage(o.shape, b.cx, b.cy, b.w, b.h, 2, o.cut);
    for (let py = 0; py < cov.h; py++) {
      const y = cov.y0 + py;
      if (y < 0 || y >= side) continue;
      for (let px = 0; px < cov.w; px++) {
        const x = cov.x0 + px;
        if (x >= 0 && x < side && cov.alpha[py * cov.w + px]! >= OWN_ALPHA) owner[y * side + x] = i;
      }
    }
  });
  const grid = side / patch;
  const out: number[] = [];
  for (let gy = 0; gy < grid; gy++) {
    for (let gx = 0; gx < grid; gx++) {
      const counts = new Map<number, number>();
      for (let y = gy * patch; y < (gy + 1) * patch; y++) for (let x = gx * patch; x < (gx + 1) * patch; x++) {
        const o = owner[y * side + x]!;
        if (o >= 0) counts.set(o, (counts.get(o) ?? 0) + 1);
      }
      let best = -1;
      let bestN = minPixels - 1;
      for (const [o, n] of counts) if (n > bestN) [best, bestN] = [o, n];
      out.push(best);
    }
  }
  return out;
}
