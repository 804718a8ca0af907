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
}
