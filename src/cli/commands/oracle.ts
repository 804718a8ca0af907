/**
 * `rewarddance oracle`: scores a pair manifest or samples.jsonl with the world's oracle,
 * GenEval-style ({overall, byTag}).
 */
import type { Command } from 'commander';
import { oracleReport } from '../../world/evaluate.js';
import { action, printJson } from '../run.js';

export function register(program: Command): void {
  program
    .command('oracle')
    .description("score media GenEval-style with the world's oracle (chosen side of pairs, or samples)")
    .requiredOption('--manifest <file>', 'manifest.jsonl of pairs, or samples.jsonl from world sample')
    .option('--json', 'print one JSON object')
    .action(
      action((opts: { manifest: string; json?: boolean }) => {
        const r = oracleReport(opts.manifest);
        if (opts.json) return printJson(r);
        process.stdout.write(`overall ${r.overall.toFixed(3)} over ${r.n}\n`);
        for (const [t, v] of Object.entries(r.byTag)) process.stdout.write(`  ${t.padEnd(14)} ${v.toFixed(3)}\n`);
        if (r.labelAgreement !== undefined) process.stdout.write(`label agreement (images: chosen correct and rejected not, or for quality pairs a higher quality score; videos: the oracle prefers chosen under the pair's criterion): ${r.labelAgreement.toFixed(3)}\n`);
      }),
    );
}
