// Replays the hacking alarm (src/eval/rl-diagnostics.ts, as built in dist/) over finished RL runs'
// metrics.jsonl, step by step as the trainer calls it, and prints the first step it fires at and
// why (null: never). For runs written before the alarm changed, e.g. the step-0 baseline fix.
// Usage (after `npx tsc -p tsconfig.build.json`):
//   node scripts/replay-alarm.mjs runs/refl-a/metrics.jsonl [more metrics.jsonl ...]
import { readFileSync } from 'node:fs';
const { curvePoint, hackingAlarm } = await import(new URL('../dist/src/eval/rl-diagnostics.js', import.meta.url).href);
const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: node scripts/replay-alarm.mjs RUN/metrics.jsonl [...]\n');
  process.exit(2);
}
for (const file of files) {
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
  const history = [];
  let first = null;
  for (const m of lines) {
    history.push(curvePoint(m));
    if (m.step === 0 || first) continue;
    const v = hackingAlarm(history);
    if (v.fired) first = { step: m.step, reason: v.reason };
  }
  process.stdout.write(`${JSON.stringify({ file, firstAlarm: first })}\n`);
}
