/**
 * ReFL with a small differentiable stand-in (a frozen random CNN scoring redness-like
 * features): a few ReFL steps raise the reward on a fixed batch.
 */
import { describe, expect, it } from 'vitest';
import { Conv2d } from '../../nn/index.js';
import { FlowUNet, generatorConfig } from '../../models/generator/index.js';
import { AdamW, manualSeed, noGrad, tidy, type Tensor } from '../../tensor/index.js';
import { predictWithGrad, reflConfig, reflStep } from './train.js';
import type { DifferentiableReward } from './types.js';

/** A frozen tiny CNN: sigmoid of the mean of one conv's response (its parameters are never stepped). */
function standIn(): DifferentiableReward {
  manualSeed(42);
  const conv = new Conv2d(3, 1, 3, { padding: 1 });
  return {
    id: 'frozen-cnn',
    mode: 'pointwise',
    rewardTensor: (images: Tensor): Tensor => conv.forward(images.mul(2).sub(1)).mean([1, 2, 3]).mul(4).sigmoid(), // (B)
    dispose: () => conv.dispose(),
  };
}

describe('ReFL', () => {
  it('a few steps raise the stand-in reward on a fixed batch', () => {
    manualSeed(0);
    const model = new FlowUNet(generatorConfig('tiny'));
    const rm = standIn();
    const cfg = reflConfig({ sampleSteps: 3, stopMin: 2, lr: 3e-3, anchor: 0.1, anchorBatch: 2 });
    const prompts = ['a photo of a red circle', 'a photo of two blue stars', 'a photo of a ring', 'a photo of a moon'];
    const fixed = (): number =>
      noGrad(() =>
        tidy(() => {
          manualSeed(123);
          return rm.rewardTensor(predictWithGrad(model, prompts, 2, cfg), prompts).mean().item();
        }),
      );
    const before = fixed();
    const opt = new AdamW(model.namedParameters(), { lr: cfg.lr, weightDecay: 0 });
    for (let s = 0; s < 5; s++) reflStep(model, opt, rm, prompts, s, cfg);
    expect(fixed()).toBeGreaterThan(before + 0.01);
    expect(() => reflConfig({ stopMin: 99 })).toThrow(/stopMin/);
    opt.dispose();
    model.dispose();
    rm.dispose?.();
  }, 30_000);
});
