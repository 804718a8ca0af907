/**
 * `rewarddance eval geneval`: GenEval-style scoring of a generator with the oracle, per tag
 * and overall with 95% intervals, on the world's prompts or a GenEval metadata file (under a
 * class map). A thin shell over src/eval/geneval.ts.
 */
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import { DEFAULT_GUIDANCE, DEFAULT_STEPS, loadGenerator } from '../../models/generator/index.js';
import { setNumThreads } from '../../tensor/index.js';
import { genevalFromVerdicts, genevalVerdicts, GENEVAL_SAMPLES_PER_PROMPT, pairedDifference, readGenevalMetadata, worldGenevalPrompts, type GenevalReport, type GenevalVerdict, type PairedDifference } from '../../eval/geneval.js';
import { action, intOption, printJson, progress } from '../run.js';
import { registerEvalBon } from './eval-bon.js';

/** World prompts scored when neither --metadata nor --world is given. */
const DEFAULT_WORLD_PROMPTS = 96;

export interface EvalGenevalOpts {
  generator: string;
  baseline?: string;
  metadata?: string;
  classMap?: string;
  world?: string;
  samples?: string;
  steps?: string;
  guidance?: string;
  seed?: string;
  threads?: string;
  json?: boolean;
}

/** `eval geneval --json`: the generator's report, and with --baseline the baseline's and the paired difference. */
export type EvalGenevalResult = GenevalReport & { readonly baseline?: GenevalReport; readonly difference?: PairedDifference };

/**
 * Runs `eval geneval`; exported for tests.
 * @example runEvalGeneval({ generator: 'models/rd-gen-t2i', metadata: 'prompts.jsonl', json: true })
 */
export function runEvalGeneval(o: EvalGenevalOpts): EvalGenevalResult {
  if (o.classMap && !o.metadata) throw new InputError('--class-map applies to a --metadata file; pass --metadata FILE too');
  if (o.metadata && o.world) throw new InputError('pass either --metadata FILE or --world N, not both');
  if (o.threads) setNumThreads(intOption('threads', o.threads, 1, 1));
  const records = o.metadata ? readGenevalMetadata(o.metadata, o.classMap) : worldGenevalPrompts(intOption('world', o.world, DEFAULT_WORLD_PROMPTS, 1));
  let guidance: number | undefined;
  if (o.guidance !== undefined) {
    guidance = Number(o.guidance);
    if (!Number.isFinite(guidance) || guidance < 0) throw new InputError(`--guidance must be a number >= 0, got '${o.guidance}'`);
  }
  const samplesPerPrompt = intOption('samples', o.samples, GENEVAL_SAMPLES_PER_PROMPT, 1);
  const opts = { samplesPerPrompt, steps: intOption('steps', o.steps, DEFAULT_STEPS, 1), guidance: guidance ?? DEFAULT_GUIDANCE, seed: intOption('seed', o.seed, 0) };
  const dirs = o.baseline ? [o.generator, o.baseline] : [o.generator];
  // both loaded before any sampling, so that a bad --baseline fails at once
  const models: ReturnType<typeof loadGenerator>[] = [];
  const total = records.length * samplesPerPrompt;
  const verdicts: GenevalVerdict[][] = [];
  try {
    for (const dir of dirs) models.push(loadGenerator(dir));
    const bar = progress('eval geneval', total * models.length, { quiet: o.json });
    try {
      for (const model of models) {
        let done = 0;
        verdicts.push(
          genevalVerdicts(model, records, {
            ...opts,
            onProgress: (n) => {
              bar.tick(n - done);
              done = n;
            },
          }),
        );
      }
    } finally {
      bar.stop();
    }
  } finally {
    models.forEach((m) => m.dispose());
  }
  const report = genevalFromVerdicts(verdicts[0]!, samplesPerPrompt);
  if (!o.baseline) return report;
  return { ...report, baseline: genevalFromVerdicts(verdicts[1]!, samplesPerPrompt), difference: pairedDifference(verdicts[0]!, verdicts[1]!) };
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

export function register(program: Command): void {
  const ev = program.command('eval').description('evaluate generators (GenEval-style, judged by the world oracle)');
  ev.command('geneval')
    .description('GenEval-style score of a generator: oracle accuracy per tag and overall (mean of tags), with 95% intervals')
    .requiredOption('--generator <dir>', 'generator checkpoint folder (e.g. models/rd-gen-t2i)')
    .option('--baseline <dir>', 'a second generator judged on the same prompts and noise; adds the paired difference with its 95% interval')
    .option('--metadata <file>', 'GenEval metadata JSONL (world prompts or a real GenEval file)')
    .option('--class-map <file>', 'JSON {"their class": "world shape"} for classes outside the world')
    .option('--world <n>', `score N world prompts instead of a file (default ${DEFAULT_WORLD_PROMPTS})`)
    .option('--samples <n>', 'images per prompt', String(GENEVAL_SAMPLES_PER_PROMPT))
    .option('--steps <n>', 'sampler steps', String(DEFAULT_STEPS))
    .option('--guidance <x>', 'classifier-free guidance', String(DEFAULT_GUIDANCE))
    .option('--seed <n>', 'sampling seed', '0')
    .option('--threads <n>', 'torch threads')
    .option('--json', 'print {overall, byTag, ci, n, nByTag, prompts, samplesPerPrompt} (+ baseline, difference with --baseline)')
    .action(
      action((o: EvalGenevalOpts) => {
        const r = runEvalGeneval(o);
        if (o.json) return printJson(r);
        process.stdout.write(`GenEval overall ${pct(r.overall)} [${pct(r.ci.overall[0])}, ${pct(r.ci.overall[1])}] on ${r.n} images (${r.prompts} prompts x ${r.samplesPerPrompt})\n`);
        for (const [tag, v] of Object.entries(r.byTag)) {
          const [lo, hi] = r.ci.byTag[tag]!;
          process.stdout.write(`  ${tag.padEnd(14)} ${pct(v).padStart(6)} [${pct(lo)}, ${pct(hi)}] (${r.nByTag[tag]})\n`);
        }
        if (r.baseline && r.difference) {
          const d = r.difference;
          const signed = (x: number): string => `${x >= 0 ? '+' : ''}${pct(x)}`;
          process.stdout.write(`baseline ${o.baseline}: ${pct(r.baseline.overall)} [${pct(r.baseline.ci.overall[0])}, ${pct(r.baseline.ci.overall[1])}]\n`);
          process.stdout.write(`difference ${signed(d.overall)} [${signed(d.ci[0])}, ${signed(d.ci[1])}] paired on the same images (${d.gained} gained, ${d.lost} lost)\n`);
          for (const [tag, v] of Object.entries(d.byTag)) {
            const [lo, hi] = d.ciByTag[tag]!;
            process.stdout.write(`  ${tag.padEnd(14)} ${signed(v).padStart(7)} [${signed(lo)}, ${signed(hi)}]\n`);
          }
        }
      }),
    );
  registerEvalBon(ev);
}
