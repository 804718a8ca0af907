/**
 * Generator: tokenizer and config errors, shapes, a handful of prompts overfit, ODE sampling
 * deterministic under a seed, and the SDE's log-probabilities against a direct computation.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, InputError } from '../../errors.js';
import { AdamW, manualSeed, noGrad, randn, tensor, tidy } from '../../tensor/index.js';
import { Rng } from '../../util/rng.js';
import { render } from '../../world/render.js';
import { PLAIN_LAYOUT, sceneFor } from '../../world/scene.js';
import { samplePrompts } from '../../world/prompts.js';
import { WORLD_WORDS } from '../../world/captions.js';
import {
  CLS_ID,
  FlowUNet,
  flowMatchingLoss,
  gaussianLogProb,
  generatorConfig,
  guidedText,
  loadGenerator,
  saveGenerator,
  imagesToTensor,
  sampleImages,
  sampleSde,
  sdeStepLogProb,
  sdeTransition,
  tensorToImages,
  tokenizePrompt,
} from './index.js';

const tiny = (): FlowUNet => {
  manualSeed(0);
  return new FlowUNet(generatorConfig('tiny'));
};

describe('generator config and text', () => {
  it('tokenizes world prompts and rejects unknown words and unknown config keys', () => {
    const ids = tokenizePrompt('a photo of a red circle', 16);
    expect(ids[0]).toBe(CLS_ID);
    expect(ids).toHaveLength(7);
    expect(tokenizePrompt('', 16)).toEqual([CLS_ID]);
    expect(() => tokenizePrompt('a photo of a cat', 16)).toThrow(InputError);
    expect(() => tokenizePrompt('a photo of a cat', 16)).toThrow(/'cat' is not in the world's vocabulary/);
    expect(() => generatorConfig('tiny', { widht: 3 })).toThrow(ConfigError);
    expect(() => generatorConfig('huge')).toThrow(/unknown generator preset 'huge'/);
  });

  it('predicts a velocity of the image shape and round-trips images', () => {
    const m = tiny();
    const v = tidy(() => m.forward(randn([2, 3, 32, 32]), tensor([0.3, 0.9]), m.encode(['a photo of a red circle', ''])).shape);
    expect(v).toEqual([2, 3, 32, 32]);
    const img = render(sceneFor(samplePrompts({ n: 1, seed: 1 })[0]!, new Rng(1), { style: PLAIN_LAYOUT }));
    expect(tensorToImages(imagesToTensor([img]))[0]!.data).toEqual(img.data);
  });
});

describe('training and sampling', () => {
  it('overfits a handful of prompts (loss falls by more than half)', () => {
    const m = tiny();
    const metas = samplePrompts({ n: 2, seed: 2 });
    const rng = new Rng(3);
    const x0 = imagesToTensor(metas.map((mt) => render(sceneFor(mt, rng, { style: PLAIN_LAYOUT }))));
    const opt = new AdamW(m.namedParameters(), { lr: 1e-2 });
    const losses: number[] = [];
    for (let i = 0; i < 32; i++) {
      manualSeed(100 + (i % 2)); // a few fixed noise draws: memorisable
      losses.push(tidy(() => {
        const l = flowMatchingLoss(m, x0, metas.map((mt) => mt.prompt), new Rng(i), 0);
        l.backward();
        return l.item();
      }));
      opt.step();
      opt.zeroGrad();
    }
    const first = (losses[0]! + losses[1]!) / 2;
    const last = (losses[30]! + losses[31]!) / 2;
    expect(last).toBeLessThan(first * 0.5);
  }, 30_000);

  it('ODE sampling is deterministic under a seed and differs across seeds', () => {
    const m = tiny();
    const p = ['a photo of two blue stars', 'a photo of a ring'];
    const a = sampleImages(m, p, { steps: 3, guidance: 2, seed: 5 });
    const b = sampleImages(m, p, { steps: 3, guidance: 2, seed: 5 });
    const c = sampleImages(m, p, { steps: 3, guidance: 2, seed: 6 });
    expect(a[0]!.data).toEqual(b[0]!.data);
    expect(a[1]!.data).toEqual(b[1]!.data);
    expect(a[0]!.data).not.toEqual(c[0]!.data);
  });
});

describe('SDE for GRPO', () => {
  it('log-probabilities match a direct Gaussian computation', () => {
    manualSeed(7);
    const x = randn([2, 3, 4, 4]);
    const mean = randn([2, 3, 4, 4]);
    const std = 0.37;
    const got = gaussianLogProb(x, mean, std).toList();
    const xv = x.toList();
    const mv = mean.toList();
    const d = 48;
    for (let b = 0; b < 2; b++) {
      let s = 0;
      for (let i = 0; i < d; i++) {
        const z = (xv[b * d + i]! - mv[b * d + i]!) / std;
        s += -0.5 * z * z - Math.log(std) - 0.5 * Math.log(2 * Math.PI);
      }
      expect(got[b]).toBeCloseTo(s / d, 4);
    }
  });

  it('eta = 0 is the Euler step; recorded log-probs equal recomputed ones', () => {
    manualSeed(8);
    const x = randn([1, 3, 2, 2]);
    const v = randn([1, 3, 2, 2]);
    const { mean, std } = sdeTransition(x, v, 0.6, 0.5, 0);
    expect(std).toBe(0);
    expect(mean.sub(x.add(v.mul(-0.1))).abs().max().item()).toBeLessThan(1e-6);
    const m = tiny();
    const prompts = ['a photo of a red circle', 'a photo of two moons'];
    const traj = sampleSde(m, prompts, { steps: 3, guidance: 1.5, eta: 0.7, seed: 9 });
    expect(traj.xs).toHaveLength(4);
    const text = guidedText(m, prompts, 1.5);
    for (let i = 0; i < 3; i++) {
      const lp = noGrad(() => sdeStepLogProb(m, traj.xs[i]!, traj.xs[i + 1]!, traj.grid[i]!, traj.grid[i + 1]!, text, 1.5, 0.7).logp.toList());
      lp.forEach((v2, b) => expect(v2).toBeCloseTo(traj.logps[i]![b]!, 3));
    }
    traj.xs.forEach((t) => t.dispose());
  });
});

describe('checkpoints keep their vocabulary', () => {
  it('a checkpoint trained on a smaller world loads and samples after the world grew', () => {
    // the words a model was trained on are stored in its config: drop three the world has now
    const older = WORLD_WORDS.filter((w) => !['then', 'move', 'moves'].includes(w));
    manualSeed(0);
    const m = new FlowUNet(generatorConfig('tiny', { words: older }));
    const dir = mkdtempSync(join(tmpdir(), 'rd-gen-vocab-'));
    try {
      saveGenerator(dir, m);
      const g = loadGenerator(dir);
      expect(g.config.words).toEqual(older);
      const imgs = noGrad(() => sampleImages(g, ['a photo of a red circle', ''], { steps: 2, seed: 1 }));
      expect(imgs).toHaveLength(2);
      expect(imgs[0]!.width).toBe(32);
      // a word the world learned later is not one this model can read
      expect(() => sampleImages(g, ['a photo of a red circle then move'], { steps: 1, seed: 1 })).toThrow(/'then' is not in the world's vocabulary/);
      g.dispose();
    } finally {
      m.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a new model stores the current words, and a word list with duplicates is a ConfigError', () => {
    expect(generatorConfig('tiny').words).toEqual(WORLD_WORDS);
    expect(() => generatorConfig('tiny', { words: ['a', 'a'] })).toThrow(ConfigError);
  });
});
