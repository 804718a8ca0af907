// Module hooks that let a worker_threads worker (or any Node process) import the project's
// TypeScript sources directly, as vitest does for the test files themselves: `./x.js`
// specifiers fall back to `./x.ts`, and .ts files are transpiled (types stripped, no type
// check) by the project's own TypeScript. Output is cached on disk by content hash, so a
// restarted worker does not load the compiler again. Used only by tests that start workers
// from src/; built code (dist/) never needs it. Register with `--import ./scripts/ts-register.mjs`.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CACHE = join(tmpdir(), 'rewarddance-ts-hooks-cache');
let ts;

export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (err) {
    const relative = specifier.startsWith('.') || specifier.startsWith('file:');
    if (!relative || !specifier.endsWith('.js') || !context.parentURL?.endsWith('.ts')) throw err;
    return next(specifier.slice(0, -'.js'.length) + '.ts', context);
  }
}

export async function load(url, context, next) {
  if (!url.endsWith('.ts')) return next(url, context);
  const path = fileURLToPath(url);
  const source = await readFile(path, 'utf8');
  const key = createHash('sha256').update(path).update('\0').update(source).digest('hex');
  const cached = join(CACHE, `${key}.js`);
  try {
    return { format: 'module', source: readFileSync(cached, 'utf8'), shortCircuit: true };
  } catch {
    // not cached yet
  }
  ts ??= (await import('typescript')).default;
  const out = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, inlineSourceMap: true, inlineSources: true },
    fileName: path,
  }).outputText;
  mkdirSync(CACHE, { recursive: true });
  const tmp = `${cached}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, out);
  renameSync(tmp, cached);
  return { format: 'module', source: out, shortCircuit: true };
}
