/**
 * `rewarddance demo --out DIR`: the RewardDance loop end to end with the shipped models
 * (prompts, pointwise and pairwise scores, tournament references, a short ReFL, a report).
 * A thin shell over src/eval/demo.ts.
 */
import type { Command } from 'commander';
import { DEMO_SIZES, runDemo, SHIPPED_GENERATOR, SHIPPED_REWARD_MODEL, type DemoResult } from '../../eval/demo.js';
import { action, intOption, progress } from '../run.js';

export interface DemoOpts {
  out: string;
  generator: string;
  rm: string;
  quick?: boolean;
  seed?: string;
  threads?: string;
}

/**
 * Runs `demo`; exported for tests. `print` receives the score table and the final line.
 * @example await runDemoCommand({ out: 'demo', generator: 'models/rd-gen-t2i', rm: 'models/rd-rm-tiny' })
 */
export async function runDemoCommand(o: DemoOpts, print: (line: string) => void = (l) => process.stdout.write(`${l}\n`), command = ['rewarddance', ...process.argv.slice(2)].join(' ')): Promise<DemoResult> {
  let bar: ReturnType<typeof progress> | undefined;
  let r: DemoResult;
  try {
    r = await runDemo({
      out: o.out,
      generator: o.generator,
      rm: o.rm,
      size: o.quick ? DEMO_SIZES.quick : DEMO_SIZES.default,
      command,
      seed: intOption('seed', o.seed, 0),
      ...(o.threads ? { threads: intOption('threads', o.threads, 1, 1) } : {}),
      log: print,
      onProgress: (_done, total, label) => {
        bar ??= progress('demo', total);
        bar.tick(1, { last: label.replace(/\s+/g, '-') });
      },
    });
  } finally {
    bar?.stop();
  }
  print(`oracle before ReFL ${(r.oracleBefore * 100).toFixed(1)}%, after ${(r.oracleAfter * 100).toFixed(1)}% (${r.seconds.toFixed(0)} s)`);
  print(`report: ${r.report.html}`);
  return r;
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('the RewardDance loop in minutes: prompts, pointwise and pairwise scores, tournament references, a short ReFL, a report')
    .requiredOption('--out <dir>', 'folder for the report, samples and scores')
    .option('--generator <dir>', 'generator folder', SHIPPED_GENERATOR)
    .option('--rm <dir>', 'generative pairwise reward-model folder', SHIPPED_REWARD_MODEL)
    .option('--quick', 'a reduced run (tests, smoke checks)')
    .option('--seed <n>', 'seed', '0')
    .option('--threads <n>', 'torch threads')
    .action(
      action(async (o: DemoOpts) => {
        await runDemoCommand(o);
      }),
    );
}
