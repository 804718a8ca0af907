/**
 * Benchmark helpers: medians, argument parsing, peak RSS, the measured fp32 matmul peak, and
 * running PyTorch twin scripts with Debian's python3-torch (skipped with a clear line when absent).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randn, tidy } from '../src/tensor/index.js';

/** Debian installs python3-torch into the system interpreter, not into pyenv shims. */
export const SYSTEM_PYTHON = '/usr/bin/python3';

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** `--name value` and `--flag` parsing for bench scripts. */
export function parseArgs(argv: readonly string[]): { flags: Set<string>; values: Map<string, string> } {
  const flags = new Set<string>();
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) continue;
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      values.set(a.slice(2), next);
      i++;
    } else flags.add(a.slice(2));
  }
  return { flags, values };
}

export function rssMb(): number {
  return process.memoryUsage.rss() / 1e6;
}

/** Measured fp32 matmul rate (GFLOP/s) at 512x512 with the current thread settings. */
export function matmulPeakGflops(): number {
  const n = 512;
  return tidy(() => {
    const a = randn([n, n]);
    const b = randn([n, n]);
    tidy(() => a.matmul(b));
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      tidy(() => a.matmul(b).sum().item());
      times.push(performance.now() - t0);
    }
    return (2 * n ** 3) / (median(times) * 1e6);
  });
}

/** Whether /usr/bin/python3 can import torch. */
export function torchTwinAvailable(): boolean {
  if (!existsSync(SYSTEM_PYTHON)) return false;
  return spawnSync(SYSTEM_PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

/** Runs bench/twins/NAME with args; returns its last stdout line parsed as JSON, or null when torch is absent. */
export function runTwin(name: string, args: string[], env: Record<string, string> = {}): Record<string, number> | null {
  if (!torchTwinAvailable()) return null;
  const script = join(import.meta.dirname, '..', '..', 'bench', 'twins', name);
  const r = spawnSync(SYSTEM_PYTHON, [script, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`twin ${name} failed: ${r.stderr}`);
  const line = r.stdout.trim().split('\n').at(-1) ?? '{}';
  return JSON.parse(line) as Record<string, number>;
}
