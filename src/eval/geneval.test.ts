/**
 * GenEval-style evaluation: the scoring arithmetic (mean of tags, intervals), and the
 * `eval geneval` shell on a tiny generator with world prompts and a class-mapped file.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FlowUNet, generatorConfig, saveGenerator } from '../models/generator/index.js';
import { manualSeed } from '../tensor/index.js';
import { runEvalGeneval } from '../cli/commands/eval.js';
import { genevalFromVerdicts, pairedDifference } from './geneval.js';

describe('GenEval scoring', () => {
  it('overall is the mean of per-tag accuracies, with intervals around each', () => {
    const v = [
      ...Array.from({ length: 10 }, (_, i) => ({ tag: 'counting', correct: i < 2 })),
      ...Array.from({ length: 4 }, () => ({ tag: 'colors', correct: true })),
    ];
    const r = genevalFromVerdicts(v);
    expect(r.byTag).toEqual({ colors: 1, counting: 0.2 });
    expect(r.overall).toBeCloseTo(0.6, 10);
    expect(r.n).toBe(14);
    expect(r.nByTag).toEqual({ colors: 4, counting: 10 });
    const [lo, hi] = r.ci.overall;
    expect(lo).toBeLessThan(0.6);
    expect(hi).toBeGreaterThan(0.6);
    // Wilson interval of 2/10
    expect(r.ci.byTag.counting![0]).toBeCloseTo(0.0567, 3);
    expect(r.ci.byTag.counting![1]).toBeCloseTo(0.5098, 3);
  });

  it('the paired difference counts per-image changes, tag by tag, with a paired interval', () => {
    const tagged = (tag: string, bits: string) => [...bits].map((b) => ({ tag, correct: b === '1' }));
    const before = [...tagged('counting', '0000011111'), ...tagged('colors', '0011')];
    const after = [...tagged('counting', '1110011110'), ...tagged('colors', '0011')];
    const d = pairedDifference(after, before);
    expect(d.gained).toBe(3);
    expect(d.lost).toBe(1);
    expect(d.byTag.counting).toBeCloseTo(0.2, 12);
    expect(d.byTag.colors).toBe(0);
    expect(d.overall).toBeCloseTo(0.1, 12);
    // counting: differences (+1 x3, -1 x1, 0 x6), mean 0.2, variance of the mean (0.4 - 0.04) / 10
    const half = 1.959964 * Math.sqrt(0.036);
    expect(d.ciByTag.counting![0]).toBeCloseTo(0.2 - half, 6);
    expect(d.ci[1]).toBeCloseTo(0.1 + half / 2, 6);
    // the same images unchanged: no difference and no width
    expect(pairedDifference(before, before).ci).toEqual([0, 0]);
    expect(() => pairedDifference(after.slice(1), before)).toThrow(/same images in the same order/);
  });

  it('eval geneval scores a generator on world prompts and on a class-mapped GenEval file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rd-geneval-'));
    const gen = join(dir, 'gen');
    manualSeed(0);
    const g = new FlowUNet(generatorConfig('tiny'));
    saveGenerator(gen, g);
    g.dispose();
    const world = runEvalGeneval({ generator: gen, world: '12', samples: '1', steps: '2', json: true });
    expect(world.n).toBe(12);
    expect(Object.keys(world.byTag).sort()).toEqual(['color_attr', 'colors', 'counting', 'position', 'single_object', 'two_object']);
    expect(world.overall).toBeGreaterThanOrEqual(0);
    expect(world.overall).toBeLessThanOrEqual(1);

    const meta = join(dir, 'geneval.jsonl');
    writeFileSync(
      meta,
      [
        { tag: 'single_object', include: [{ class: 'bench', count: 1 }], prompt: 'a photo of a bench' },
        { tag: 'counting', include: [{ class: 'dog', count: 2 }], exclude: [{ class: 'dog', count: 3 }], prompt: 'a photo of two dogs' },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n') + '\n',
    );
    const map = join(dir, 'map.json');
    writeFileSync(map, JSON.stringify({ bench: 'square', dog: 'star' }));
    const mapped = runEvalGeneval({ generator: gen, metadata: meta, classMap: map, samples: '2', steps: '2', json: true });
    expect(mapped.n).toBe(4);
    expect(mapped.prompts).toBe(2);
    expect(Object.keys(mapped.byTag)).toEqual(['counting', 'single_object']);
    expect(() => runEvalGeneval({ generator: gen, metadata: meta, samples: '1', steps: '2', json: true })).toThrow(/unknown class 'bench'.*class map/);
    expect(() => runEvalGeneval({ generator: gen, classMap: map, json: true })).toThrow(/--metadata/);
    expect(() => runEvalGeneval({ generator: gen, baseline: join(dir, 'nope'), world: '2', json: true })).toThrow(/not a checkpoint folder/);
  }, 60_000);

  it('--baseline judges a second generator on the same images: the shipped one against itself changes nothing', () => {
    const self = runEvalGeneval({ generator: 'models/rd-gen-t2i', baseline: 'models/rd-gen-t2i', world: '12', samples: '2', steps: '8', json: true });
    // some images right and some wrong, so that different noise would show as gains and losses
    expect(self.overall).toBeGreaterThan(0);
    expect(self.overall).toBeLessThan(1);
    expect(self.baseline?.byTag).toEqual(self.byTag);
    expect(self.difference).toMatchObject({ overall: 0, gained: 0, lost: 0, ci: [0, 0] });
  }, 120_000);
});
