/**
 * Shared CLI plumbing: error reporting (one line, non-zero exit), JSON output and progress
 * bars that fall back to plain lines when stdout is not a terminal.
 */
import cliProgress from 'cli-progress';
import { AppError, InputError, errorMessage } from '../errors.js';

/** Wraps a command action: AppErrors become `error: message` and exit code 1 (2 for usage). */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      process.stderr.write(`error: ${errorMessage(err)}\n`);
      if (!(err instanceof AppError) && process.env.RD_DEBUG && err instanceof Error) process.stderr.write(`${err.stack ?? ''}\n`);
      process.exitCode = err instanceof AppError ? 1 : 70;
    }
  };
}

/** Prints a value as one JSON document. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** A progress reporter: a bar on a TTY, a plain line every ~10% otherwise. Quiet under --json. */
export interface Progress {
  tick(n?: number, info?: Record<string, string | number>): void;
  stop(): void;
}

export function progress(label: string, total: number, opts: { quiet?: boolean } = {}): Progress {
  if (opts.quiet) return { tick: () => undefined, stop: () => undefined };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {value}/{total} {percentage}% eta {eta_formatted} {info}`, stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { info: '' });
    return {
      tick: (n = 1, info) => bar.increment(n, { info: info ? Object.entries(info).map(([k, v]) => `${k}=${v}`).join(' ') : '' }),
      stop: () => bar.stop(),
    };
  }
  let done = 0;
  let lastPct = -1;
  return {
    tick: (n = 1, info) => {
      done += n;
      const pct = Math.floor((done / Math.max(1, total)) * 10) * 10;
      if (pct !== lastPct || done === total) {
        lastPct = pct;
        const extra = info ? ' ' + Object.entries(info).map(([k, v]) => `${k}=${v}`).join(' ') : '';
        process.stderr.write(`${label}: ${done}/${total} (${pct}%)${extra}\n`);
      }
    },
    stop: () => undefined,
  };
}

/** Parses an integer option with a clear message. */
export function intOption(name: string, value: string | undefined, def: number, min = 0): number {
  if (value === undefined) return def;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new InputError(`--${name} must be an integer >= ${min}, got '${value}'`);
  return n;
}
