/**
 * `rewarddance gen train|sample`: pretrain the flow generator on world samples (metrics,
 * checkpoints, --resume) and sample images from a generator folder. Thin shells over
 * train/generator and models/generator.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { writePng } from '../../data/image.js';
import { InputError } from '../../errors.js';
import { DEFAULT_GUIDANCE, DEFAULT_STEPS, loadGenerator, sampleImages } from '../../models/generator/index.js';
import { setNumThreads } from '../../tensor/index.js';
import { generatorTrainConfig, trainGenerator } from '../../train/generator/index.js';
import { generatorPairs, type GeneratorPairStats } from '../../train/generator/pairs.js';
import { samplePrompts } from '../../world/prompts.js';
import { writePairs } from '../../world/pairs-disk.js';
import { action, intOption, printJson, progress } from '../run.js';

interface TrainOpts {
  out: string;
  steps?: string;
  preset: string;
  batch?: string;
  lr?: string;
  seed?: string;
  threads?: string;
  evalEvery?: string;
  evalSamples?: string;
  maxMinutes?: string;
  captionMix?: string;
  captionStyle?: string;
  resume?: boolean;
  json?: boolean;
}

interface SampleOpts {
  model: string;
  prompt: string;
  n?: string;
  out: string;
  steps?: string;
  guidance?: string;
  seed?: string;
  threads?: string;
  json?: boolean;
}

interface PairsOpts {
  model: string;
  out: string;
  world?: string;
  samples?: string;
  pairsPerPrompt?: string;
  evalShare?: string;
  steps?: string;
  guidance?: string;
  seed?: string;
  threads?: string;
  json?: boolean;
}

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!Number.isFinite(x)) throw new InputError(`--${name} must be a number, got '${v}'`);
  return x;
}

/** Runs `gen train`; exported for tests. */
export function runGenTrain(o: TrainOpts): ReturnType<typeof trainGenerator> {
  const overrides: Record<string, unknown> = {};
  const set = (k: string, v: number | undefined): void => {
    if (v !== undefined) overrides[k] = v;
  };
  set('steps', o.steps === undefined ? undefined : intOption('steps', o.steps, 1, 1));
  set('batch', o.batch === undefined ? undefined : intOption('batch', o.batch, 1, 1));
  set('lr', num('lr', o.lr));
  set('seed', o.seed === undefined ? undefined : intOption('seed', o.seed, 0));
  set('threads', o.threads === undefined ? undefined : intOption('threads', o.threads, 1, 1));
  set('evalEvery', o.evalEvery === undefined ? undefined : intOption('eval-every', o.evalEvery, 0));
  set('evalSamples', o.evalSamples === undefined ? undefined : intOption('eval-samples', o.evalSamples, 1, 1));
  set('captionMix', num('caption-mix', o.captionMix));
  if (o.captionStyle !== undefined) overrides.captionStyle = o.captionStyle;
  const minutes = num('max-minutes', o.maxMinutes);
  set('maxSeconds', minutes === undefined ? undefined : minutes * 60);
  const cfg = generatorTrainConfig(o.preset, overrides);
  const bar = progress('gen train', cfg.steps, { quiet: o.json ?? false });
  try {
    return trainGenerator(o.out, cfg, {
      resume: o.resume ?? false,
      onStep: (_s, i) => bar.tick(1, { loss: i.loss.toFixed(4), ms: i.ms }),
      onEval: (s, e) => process.stderr.write(`step ${s}: oracle ${e.score.toFixed(3)} [${e.lo.toFixed(3)}, ${e.hi.toFixed(3)}] n=${e.n}\n`),
    });
  } finally {
    bar.stop();
  }
}

/** Runs `gen sample`; exported for tests. Writes sample-000.png ... into `out`. */
export function runGenSample(o: SampleOpts): { files: string[] } {
  if (o.threads) setNumThreads(intOption('threads', o.threads, 1, 1));
  const n = intOption('n', o.n, 4, 1);
  const model = loadGenerator(o.model);
  try {
    const imgs = sampleImages(model, Array.from({ length: n }, () => o.prompt), {
      steps: intOption('steps', o.steps, DEFAULT_STEPS, 1),
      guidance: num('guidance', o.guidance) ?? DEFAULT_GUIDANCE,
      seed: intOption('seed', o.seed, 0),
    });
    mkdirSync(o.out, { recursive: true });
    const files = imgs.map((img, i) => {
      const f = join(o.out, `sample-${String(i).padStart(3, '0')}.png`);
      writePng(f, img);
      return f;
    });
    return { files };
  } finally {
    model.dispose();
  }
}

/** Runs `gen pairs`; exported for tests. Writes a pair manifest folder (atomically) and returns what sampling found. */
export function runGenPairs(o: PairsOpts): { out: string; stats: GeneratorPairStats } {
  const n = intOption('world', o.world, 600, 1);
  const samplesPerPrompt = intOption('samples', o.samples, 8, 2);
  const pairsPerPrompt = intOption('pairs-per-prompt', o.pairsPerPrompt, 2, 1);
  const evalShare = num('eval-share', o.evalShare) ?? 0.1;
  const seed = intOption('seed', o.seed, 0);
  const steps = intOption('steps', o.steps, DEFAULT_STEPS, 1);
  const guidance = num('guidance', o.guidance) ?? DEFAULT_GUIDANCE;
  if (o.threads) setNumThreads(intOption('threads', o.threads, 1, 1));
  const model = loadGenerator(o.model);
  const bar = progress('gen pairs', n * samplesPerPrompt, { quiet: o.json ?? false });
  let done = 0;
  try {
    const prompts = samplePrompts({ n, seed: seed * 7919 + 4242, domain: 'id' });
    const { pairs, stats } = generatorPairs(model, prompts, {
      samplesPerPrompt,
      pairsPerPrompt,
      evalShare,
      seed,
      steps,
      guidance,
      onProgress: (d) => {
        bar.tick(d - done);
        done = d;
      },
    });
    if (pairs.length === 0) throw new InputError(`the generator's ${stats.images} samples gave no pairs (every prompt's samples were all correct or all wrong); draw more samples per prompt (--samples) or more prompts (--world)`);
    writePairs(o.out, pairs);
    return { out: o.out, stats };
  } finally {
    bar.stop();
    model.dispose();
  }
}

export function register(program: Command): void {
  const gen = program.command('gen').description('text-to-image flow generator: pretrain on world samples, sample images');
  gen
    .command('train')
    .description('pretrain a rectified-flow generator on world samples (metrics.jsonl, checkpoint/, ema/ = the weights to use)')
    .requiredOption('--out <dir>', 'run folder')
    .option('--steps <n>', 'training steps')
    .option('--preset <name>', 'tiny | small | base', 'small')
    .option('--batch <n>', 'batch size')
    .option('--lr <x>', 'peak learning rate')
    .option('--seed <n>', 'seed')
    .option('--threads <n>', 'libtorch threads')
    .option('--eval-every <n>', 'oracle evaluation every N steps (0: at the end only)')
    .option('--eval-samples <n>', 'held-out prompts per evaluation')
    .option('--max-minutes <x>', 'stop (and save) after this much wall-clock time')
    .option('--caption-mix <p>', "share of images (0-1) trained with a caption naming every object's colour instead of the bare prompt (default 0)")
    .option('--caption-style <s>', "the mixed-in caption: 'prompt' (the prompt with each object's colour written in; keeps relations) or 'scene' (the scene's full caption, left to right)", 'scene')
    .option('--resume', 'continue from <out>/checkpoint')
    .option('--json', 'print the result as JSON')
    .action(
      action((o: TrainOpts) => {
        const r = runGenTrain(o);
        if (o.json) return printJson(r);
        const e = r.eval;
        process.stdout.write(`trained ${r.steps} steps in ${r.seconds.toFixed(0)} s, loss ${r.finalLoss.toFixed(4)}` + `, oracle ${e.score.toFixed(3)} [${e.lo.toFixed(3)}, ${e.hi.toFixed(3)}] on ${e.n} held-out prompts` + (r.stoppedEarly ? ' (stopped at the time limit; --resume continues)' : '') + `\nweights: ${join(o.out, 'ema')}\n`);
      }),
    );
  gen
    .command('sample')
    .description('sample images for a prompt from a generator folder')
    .requiredOption('--model <dir>', 'generator folder (config.json + model.safetensors)')
    .requiredOption('--prompt <text>', "prompt in the world's vocabulary, e.g. 'a photo of a red circle'")
    .option('--n <n>', 'number of images', '4')
    .requiredOption('--out <dir>', 'output folder')
    .option('--steps <n>', 'Euler steps', String(DEFAULT_STEPS))
    .option('--guidance <x>', 'classifier-free guidance scale', String(DEFAULT_GUIDANCE))
    .option('--seed <n>', 'noise seed', '0')
    .option('--threads <n>', 'libtorch threads')
    .option('--json', 'print the files as JSON')
    .action(
      action((o: SampleOpts) => {
        const r = runGenSample(o);
        if (o.json) return printJson(r);
        process.stdout.write(r.files.join('\n') + '\n');
      }),
    );
  gen
    .command('pairs')
    .description("preference pairs from a generator's own samples, labelled by the world oracle (correct vs wrong image of a prompt): a manifest folder for `rm train --data`")
    .requiredOption('--model <dir>', 'generator folder (config.json + model.safetensors)')
    .requiredOption('--out <dir>', 'pair folder to write (manifest.jsonl + media/; replaced atomically)')
    .option('--world <n>', "world prompts (in-distribution, the six GenEval tags in turn)", '600')
    .option('--samples <n>', 'samples per prompt', '8')
    .option('--pairs-per-prompt <n>', 'most (correct, wrong) pairs kept per prompt', '2')
    .option('--eval-share <x>', "share of prompts whose pairs form split 'id' (evaluation); the rest are 'train'", '0.1')
    .option('--steps <n>', 'Euler steps', String(DEFAULT_STEPS))
    .option('--guidance <x>', 'classifier-free guidance scale', String(DEFAULT_GUIDANCE))
    .option('--seed <n>', 'seed of the prompts and the noise', '0')
    .option('--threads <n>', 'libtorch threads')
    .option('--json', 'print {out, stats} as JSON')
    .action(
      action((o: PairsOpts) => {
        const r = runGenPairs(o);
        if (o.json) return printJson(r);
        const s = r.stats;
        process.stdout.write(`${s.pairs} pairs (${Object.entries(s.bySplit).map(([k, v]) => `${k} ${v}`).join(', ')}) from ${s.images} samples of ${s.prompts} prompts, ${(s.correctRate * 100).toFixed(1)}% judged correct -> ${r.out}\n`);
        for (const [tag, t] of Object.entries(s.byTag)) process.stdout.write(`  ${tag.padEnd(14)} ${String(t.pairs).padStart(5)} pairs, ${(t.correctRate * 100).toFixed(1)}% correct\n`);
      }),
    );
}
