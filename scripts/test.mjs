#!/usr/bin/env node
// Runs the vitest suite (args pass through) and ends with a plain `N passed, N failed` line,
// which CI reads (vitest's own summary is not among the formats it understands). OpenBLAS gets one
// thread unless set: vitest runs two workers on two cores, and spinning BLAS threads oversubscribe them.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, existsSync } from 'node:fs';

const report = '.vitest-report.json';
rmSync(report, { force: true });
const args = ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)];
const r = spawnSync('npx', args, { stdio: 'inherit', env: { OPENBLAS_NUM_THREADS: '1', ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
let passed = 0;
let failed = 0;
let skipped = 0;
if (existsSync(report)) {
  const j = JSON.parse(readFileSync(report, 'utf8'));
  passed = j.numPassedTests ?? 0;
  // A suite that failed to load has no failed assertions but must count as a failure.
  const brokenSuites = (j.testResults ?? []).filter((s) => s.status === 'failed' && !(s.assertionResults ?? []).some((a) => a.status === 'failed')).length;
  failed = (j.numFailedTests ?? 0) + brokenSuites;
  skipped = (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
} else {
  failed = 1;
}
if (r.status !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ''));
process.exit(r.status ?? 1);
