import { describe, expect, test } from 'vitest';
import { patchOwners } from './patch-labels.js';

describe('patch owners (grounding targets)', () => {
  test('a square covering exactly four patches owns them; the rest is background', () => {
    // box centre (8, 8) px, side 8 px: pixels 4..11 -> patches (1,1), (1,2), (2,1), (2,2) of a 4-px grid
    const owners = patchOwners({ objects: [{ shape: 'square', color: 'red', x: 8 / 32, y: 8 / 32, w: 8 / 32, h: 8 / 32 }] }, 32, 4);
    expect(owners.length).toBe(64);
    const owned = owners.flatMap((o, i) => (o === 0 ? [i] : []));
    expect(owned).toEqual([9, 10, 17, 18]);
    expect(owners.filter((o) => o === -1).length).toBe(60);
  });
  test('a later object occludes an earlier one where they overlap', () => {
    const big = { shape: 'square' as const, color: 'red' as const, x: 0.5, y: 0.5, w: 0.5, h: 0.5 };
    const small = { shape: 'square' as const, color: 'blue' as const, x: 0.5, y: 0.5, w: 0.25, h: 0.25 };
    const owners = patchOwners({ objects: [big, small] }, 32, 4);
    // the small square spans pixels 12..19: patches 3 and 4 in each direction
    for (const i of [27, 28, 35, 36]) expect(owners[i]).toBe(1);
    expect(owners[18]).toBe(0);
    expect(patchOwners({ objects: [small, big] }, 32, 4)[27]).toBe(1);
  });
});
