/**
 * Budgets of the scaling study: how many pairs, steps and samples each part gets. `tiny` is
 * for tests (seconds), `small` fits in 15 minutes on a busy 2-core machine (numbers are then
 * near chance for the large presets: it shows the pipeline, not the paper's effects), `full`
 * is the real study (hours).
 */
import { ConfigError } from '../errors.js';
import { VLM_PRESETS } from '../presets/vlm.js';

export interface StudyBudget {
  readonly name: string;
  /** Reward-model presets, smallest first (the study wants at least 5 for `small` and `full`). */
  readonly presets: readonly string[];
  /** VLM patch side: 8 gives 16 tokens an image (about 3x faster than 4 at 64). */
  readonly patch: number;
  /** World training pairs (alignment) and test pairs per split (ID and OOD). */
  readonly trainPairs: number;
  readonly evalPairs: number;
  /** Visual pretraining (captions and questions) per preset. */
  readonly pretrainItems: number;
  readonly pretrainSteps: number;
  /** Reward fine-tuning steps and items per step. */
  readonly rmSteps: number;
  readonly batchSize: number;
  /** Peak learning rate of reward fine-tuning (DESIGN.md 9: pairwise collapses at 1e-3, learns at 3e-4). */
  readonly lr: number;
  /** Peak learning rate of visual pretraining (DESIGN.md 9: 2e-3 learns shapes about twice as fast as 1e-3); wider presets use their own lower rate (`pretrainLrFor`) when it is lower. */
  readonly pretrainLr: number;
  /** Preset of the context ablation, and the in-context examples of '+examples'. */
  readonly ablationPreset: string;
  readonly ablationExamples: number;
  /** ReFL per preset: steps, prompts per step, sampler steps. */
  readonly rlSteps: number;
  readonly rlBatch: number;
  readonly rlPromptPool: number;
  readonly sampleSteps: number;
  readonly rlLr: number;
  /** Share of the last ReFL steps whose batch reward std is averaged ('late RL'). */
  readonly lateFraction: number;
  /** Held-out prompts for the oracle before/after RL (DESIGN.md 7: >= 256 for +-0.03). */
  readonly oracleSamples: number;
  /** Best-of-N: prompts, and the Ns (candidates are the first N of max(N) samples). */
  readonly bonPrompts: number;
  readonly bonN: readonly number[];
}

const ALL_PRESETS = Object.keys(VLM_PRESETS);

export const STUDY_BUDGETS: Readonly<Record<string, StudyBudget>> = {
  tiny: {
    name: 'tiny',
    presets: ['rd-xs', 'rd-s'],
    patch: 8,
    trainPairs: 16,
    evalPairs: 8,
    pretrainItems: 32,
    pretrainSteps: 2,
    rmSteps: 2,
    batchSize: 8,
    lr: 1e-3,
    pretrainLr: 2e-3,
    ablationPreset: 'rd-xs',
    ablationExamples: 1,
    rlSteps: 2,
    rlBatch: 2,
    rlPromptPool: 4,
    sampleSteps: 2,
    rlLr: 2e-5,
    lateFraction: 0.5,
    oracleSamples: 6,
    bonPrompts: 2,
    bonN: [1, 2],
  },
  // measured on 2 busy cores (load ~12), patch 8, batch 16: rd-xs 0.11 s a step, rd-s 0.23,
  // rd-m 0.48, rd-l 1.2, rd-xl 3.7; 7 trainings per preset at ~15 steps fit in ~8 minutes
  small: {
    name: 'small',
    presets: ALL_PRESETS,
    patch: 8,
    trainPairs: 256,
    evalPairs: 64,
    pretrainItems: 512,
    pretrainSteps: 16,
    rmSteps: 12,
    batchSize: 16,
    lr: 1e-3,
    pretrainLr: 2e-3,
    ablationPreset: 'rd-s',
    ablationExamples: 1,
    rlSteps: 4,
    rlBatch: 4,
    rlPromptPool: 16,
    sampleSteps: 8,
    rlLr: 2e-5,
    lateFraction: 0.5,
    oracleSamples: 48,
    bonPrompts: 12,
    bonN: [1, 2, 4],
  },
  // sized for this 2-core machine and run in sittings with --resume (about 12 hours at one
  // thread; rd-xl is most of it). Measured at patch 8, batch 32, one thread on a quiet core: rd-s
  // pretraining 3000 steps 280 s (loss 0.21; at 1000 steps it still sat on the 0.69 plateau and
  // every reward model trained from it was at chance), then 1000 pointwise steps 425 s, ID 78.3%
  // / OOD 62.3% on 300 pairs (scripts/probe-rm-recipe.mjs rd-s 8 3000 1000 32 DIR). The PyTorch twin (docs/results/rm-ladder-twin-2026-11-27) kept
  // improving to 3000 fine-tuning steps; 600 is what this CPU affords for 35 models.
  full: {
    name: 'full',
    presets: ALL_PRESETS,
    patch: 8,
    trainPairs: 20000,
    evalPairs: 500,
    pretrainItems: 20000,
    pretrainSteps: 3000,
    rmSteps: 600,
    batchSize: 32,
    lr: 3e-4,
    pretrainLr: 2e-3,
    ablationPreset: 'rd-s',
    ablationExamples: 1,
    rlSteps: 40,
    rlBatch: 8,
    rlPromptPool: 256,
    sampleSteps: 16,
    rlLr: 2e-5,
    lateFraction: 0.3,
    oracleSamples: 256,
    bonPrompts: 128,
    bonN: [1, 2, 4, 8, 16],
  },
};

/**
 * A budget by name; unknown names are ConfigErrors listing the known ones.
 * @example studyBudget('small').presets.length // 5
 */
export function studyBudget(name: string): StudyBudget {
  const b = STUDY_BUDGETS[name];
  if (!b) throw new ConfigError(`unknown study budget '${name}' (known: ${Object.keys(STUDY_BUDGETS).join(', ')})`);
  return b;
}
