/**
 * Generator pretraining: the world batch (caption mixing leaves images and the default
 * stream alone), config errors, and a resumed run continuing the unbroken run's metrics.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../errors.js';
import { colorFilledPrompt } from '../../world/captions.js';
import type { Scene } from '../../world/scene-types.js';
import { COLORS } from '../../world/vocab.js';
import { generatorTrainConfig, trainGenerator, worldBatch } from './train.js';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'rd-gen-train-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const colourWords = (text: string): number => text.split(' ').filter((w) => (COLORS as readonly string[]).includes(w)).length;

describe('world batches', () => {
  it('captionMix 0 is the plain batch; captionMix 1 names every object colour on the same images', () => {
    const plain = worldBatch(24, 3, 5, 32);
    expect(worldBatch(24, 3, 5, 32, 0, 16)).toEqual(plain);
    const mixed = worldBatch(24, 3, 5, 32, 1, 64);
    expect(mixed.images).toEqual(plain.images);
    // the plain prompts name a colour in two of six tags; every caption names one per object group
    expect(mixed.prompts.every((p) => p.startsWith('a photo of ') && colourWords(p) >= 1)).toBe(true);
    expect(plain.prompts.filter((p) => colourWords(p) === 0).length).toBeGreaterThan(8);
    expect(mixed.prompts).not.toEqual(plain.prompts);
    // too long for the text encoder: the prompt stays
    const short = worldBatch(24, 3, 5, 32, 1, 7);
    short.prompts.forEach((p, i) => expect(p === plain.prompts[i] || p.split(' ').length < 7).toBe(true));
  });

  it('a partial mix is deterministic and mixes', () => {
    const a = worldBatch(64, 1, 9, 32, 0.5, 64);
    expect(worldBatch(64, 1, 9, 32, 0.5, 64).prompts).toEqual(a.prompts);
    const changed = a.prompts.filter((p, i) => p !== worldBatch(64, 1, 9, 32).prompts[i]).length;
    expect(changed).toBeGreaterThan(10);
    expect(changed).toBeLessThan(54);
  });

  it("captionStyle 'prompt' only writes colours into the prompt: relations and counts stay", () => {
    const plain = worldBatch(48, 2, 7, 32);
    const mixed = worldBatch(48, 2, 7, 32, 1, 64, 'prompt');
    expect(mixed.images).toEqual(plain.images);
    const noColour = (p: string): string => p.split(' ').filter((w) => !(COLORS as readonly string[]).includes(w)).join(' ');
    mixed.prompts.forEach((p, i) => expect(noColour(p).replace(/ an /g, ' a ')).toBe(noColour(plain.prompts[i]!).replace(/ an /g, ' a ')));
    // every relation prompt now names both objects' colours
    const relational = mixed.prompts.filter((p) => / (left of|right of|above|below) /.test(p));
    expect(relational.length).toBeGreaterThan(3);
    relational.forEach((p) => expect(colourWords(p)).toBe(2));
    expect(mixed.prompts.filter((p, i) => p !== plain.prompts[i]).length).toBeGreaterThan(24);
  });

  it('colorFilledPrompt writes the drawn colour, and leaves mixed colours and distractors out', () => {
    const o = (shape: 'star' | 'ring', color: 'red' | 'blue', x: number, distractor = false) => ({ shape, color, x, y: 0.5, w: 0.2, h: 0.2, ...(distractor ? { distractor } : {}) });
    const scene: Scene = { objects: [o('star', 'red', 0.2), o('ring', 'blue', 0.7), o('ring', 'red', 0.5, true)] };
    const rel = { include: [{ class: 'star', count: 1, position: ['left of', 1] as ['left of', number] }, { class: 'ring', count: 1 }] };
    expect(colorFilledPrompt(rel, scene)).toBe('a photo of a red star left of a blue ring');
    const mixedStars: Scene = { objects: [o('star', 'red', 0.2), o('star', 'blue', 0.7)] };
    expect(colorFilledPrompt({ include: [{ class: 'star', count: 2 }] }, mixedStars)).toBe('a photo of two stars');
    expect(colorFilledPrompt({ include: [{ class: 'star', count: 1, color: 'blue' }] }, scene)).toBe('a photo of a blue star');
  });

  it('rejects a caption share outside [0, 1] and unknown options', () => {
    expect(() => generatorTrainConfig('tiny', { captionStyle: 'poem' })).toThrow(/captionStyle must be one of scene, prompt/);
    expect(() => generatorTrainConfig('tiny', { captionMix: 1.5 })).toThrow(ConfigError);
    expect(() => generatorTrainConfig('tiny', { captionMix: 1.5 })).toThrow(/captionMix must be in \[0, 1\]/);
    expect(() => generatorTrainConfig('tiny', { captoinMix: 0.5 })).toThrow(/unknown option 'captoinMix'/);
    expect(() => generatorTrainConfig('huge')).toThrow(/unknown generator training preset 'huge'/);
  });
});

describe('training', () => {
  const lossLines = (dir: string): string[] =>
    readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"loss"'))
      .map((l) => {
        const { step, loss } = JSON.parse(l) as { step: number; loss: number };
        return `${step}:${loss.toFixed(6)}`;
      });

  it('a run killed after step 4 (checkpoint at 3) and resumed writes the unbroken run\'s losses', () => {
    const cfg = generatorTrainConfig('tiny', { steps: 6, batch: 4, evalSamples: 2, evalSteps: 2, checkpointEvery: 3, captionMix: 0.5 });
    const whole = tmp();
    expect(trainGenerator(whole, cfg).steps).toBe(6);
    const parts = tmp();
    const kill = (step: number): void => {
      if (step === 4) throw new Error('killed');
    };
    expect(() => trainGenerator(parts, cfg, { onStep: kill })).toThrow('killed');
    expect(lossLines(parts)).toHaveLength(4); // step 4 was written but not checkpointed
    expect(trainGenerator(parts, cfg, { resume: true }).steps).toBe(6);
    expect(lossLines(parts)).toEqual(lossLines(whole));
    expect(lossLines(whole)).toHaveLength(6);
  });
});
