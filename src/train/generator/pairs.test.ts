/**
 * Preference pairs from the shipped generator's samples: every pair agrees with the oracle,
 * the per-prompt cap holds, the folder loads as reward-model training data, bad options fail.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runGenPairs } from '../../cli/commands/gen.js';
import { InputError } from '../../errors.js';
import { loadGenerator } from '../../models/generator/index.js';
import { analyzeImage, scoreMetadata } from '../../world/oracle.js';
import { samplePrompts } from '../../world/prompts.js';
import { manifestPairs } from '../reward/sources.js';
import { generatorPairs } from './pairs.js';

const SHIPPED = 'models/rd-gen-t2i';
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('generator preference pairs', () => {
  it('pair a correct and a wrong sample of the same prompt, as the oracle judges them, at most M per prompt', () => {
    const model = loadGenerator(SHIPPED);
    try {
      const prompts = samplePrompts({ n: 6, seed: 11, domain: 'id' });
      const { pairs, stats } = generatorPairs(model, prompts, { samplesPerPrompt: 4, pairsPerPrompt: 2, evalShare: 0.5, seed: 3 });
      expect(stats.images).toBe(24);
      expect(stats.pairs).toBe(pairs.length);
      expect(pairs.length).toBeGreaterThan(0);
      expect(Object.values(stats.byTag).reduce((a, t) => a + t.pairs, 0)).toBe(pairs.length);
      expect(new Set(pairs.map((p) => p.id)).size).toBe(pairs.length);
      const perPrompt = new Map<string, number>();
      for (const p of pairs) {
        if (p.chosen.kind !== 'image' || p.rejected.kind !== 'image') throw new Error('expected images');
        expect(scoreMetadata(analyzeImage(p.chosen.image), p.metadata).correct).toBe(true);
        expect(scoreMetadata(analyzeImage(p.rejected.image), p.metadata).correct).toBe(false);
        expect(p.prompt).toBe(p.metadata.prompt);
        const key = p.id.split('-').slice(0, 3).join('-');
        perPrompt.set(key, (perPrompt.get(key) ?? 0) + 1);
      }
      for (const n of perPrompt.values()) expect(n).toBeLessThanOrEqual(2);
      // a prompt's pairs share one split, and with eval share 0.5 both splits appear
      expect(new Set(pairs.map((p) => p.split))).toEqual(new Set(['train', 'id']));
      expect(() => generatorPairs(model, prompts, { samplesPerPrompt: 1, pairsPerPrompt: 2, evalShare: 0.1, seed: 0 })).toThrow(InputError);
      expect(() => generatorPairs(model, prompts, { samplesPerPrompt: 4, pairsPerPrompt: 2, evalShare: 1, seed: 0 })).toThrow(/eval share/);
      expect(() => generatorPairs(model, [], { samplesPerPrompt: 4, pairsPerPrompt: 2, evalShare: 0.1, seed: 0 })).toThrow(/at least one prompt/);
    } finally {
      model.dispose();
    }
  }, 120_000);

  it('`gen pairs` writes a manifest that loads as training pairs; bad options fail before sampling', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rd-genpairs-'));
    dirs.push(dir);
    const out = join(dir, 'pairs');
    const r = runGenPairs({ model: SHIPPED, out, world: '6', samples: '4', pairsPerPrompt: '1', evalShare: '0', seed: '2', json: true });
    expect(r.stats.pairs).toBeGreaterThan(0);
    expect(r.stats.bySplit).toEqual({ train: r.stats.pairs });
    const train = await manifestPairs(out, 'train');
    expect(train.length).toBe(r.stats.pairs);
    expect(train.every((p) => p.task === 't2i' && p.criteria === 'alignment')).toBe(true);
    expect(() => runGenPairs({ model: SHIPPED, out: join(dir, 'x'), samples: '1' })).toThrow(/--samples must be an integer >= 2/);
    expect(() => runGenPairs({ model: SHIPPED, out: join(dir, 'x'), evalShare: 'half' })).toThrow(/--eval-share must be a number/);
    expect(() => runGenPairs({ model: join(dir, 'missing'), out: join(dir, 'x') })).toThrow(/not a checkpoint folder/);
  }, 120_000);
});
