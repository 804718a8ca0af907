/**
 * `rewarddance selfcheck`: proves the libtorch core works (version, threads, a matmul, one
 * autograd step) and prints what it found.
 */
import type { Command } from 'commander';
import { runSelfCheck } from '../../tensor/selfcheck.js';
import { action, printJson } from '../run.js';

export function register(program: Command): void {
  program
    .command('selfcheck')
    .description('check that the libtorch compute core works (matmul, autograd, AdamW)')
    .option('--json', 'print one JSON object')
    .action(
      action((opts: { json?: boolean }) => {
        const r = runSelfCheck();
        if (opts.json) return printJson(r);
        process.stdout.write(
          `libtorch ${r.torchVersion}, ${r.threads} thread(s)\n` +
            `matmul 256x256: ${r.matmulMs.toFixed(2)} ms, ${r.gflops.toFixed(1)} GFLOP/s\n` +
            `autograd + AdamW: loss ${r.lossBefore.toFixed(4)} -> ${r.lossAfter.toFixed(4)} (${r.ok ? 'ok' : 'FAILED'})\n`,
        );
        if (!r.ok) process.exitCode = 1;
      }),
    );
}
