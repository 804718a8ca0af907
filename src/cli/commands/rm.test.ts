/**
 * `rewarddance rm train` through commander: a pair folder with world pairs mixed in
 * (--world-pairs), several folders in one --data list, and the errors when --world-pairs
 * comes without --data or the list has an empty entry; `vlm pretrain --patch` and
 * `rm eval --threads`, `rm export --half`, with their errors.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makePairs } from '../../world/pairs.js';
import { writePairs } from '../../world/pairs-disk.js';
import { runCli } from '../../../test/fixtures/cli.js';
import { register } from './rm.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const run = (args: string[]): ReturnType<typeof runCli> => runCli(register, args);

describe('rm train --world-pairs', () => {
  it("trains on the folder's train split plus the world pairs asked for", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rd-rmtrain-'));
    dirs.push(dir);
    const data = join(dir, 'pairs');
    writePairs(data, [...makePairs({ n: 5, seed: 1, split: 'train' }), ...makePairs({ n: 3, seed: 2, split: 'id' })]);
    const r = await run(['rm', 'train', '--preset', 'rd-xs', '--data', data, '--world-pairs', '7', '--steps', '2', '--batch', '4', '--out', join(dir, 'rm'), '--json']);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out) as { trainPairs: number; evaluation: Record<string, { n: number }> };
    expect(summary.trainPairs).toBe(12);
    expect(summary.evaluation.id?.n).toBe(3);
    const plain = await run(['rm', 'train', '--preset', 'rd-xs', '--data', data, '--steps', '1', '--batch', '4', '--out', join(dir, 'rm2'), '--json']);
    expect((JSON.parse(plain.out) as { trainPairs: number }).trainPairs).toBe(5);
  }, 120_000);

  it('--world-pairs without --data is a clear error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rd-rmtrain-'));
    dirs.push(dir);
    const r = await run(['rm', 'train', '--preset', 'rd-xs', '--world-pairs', '7', '--steps', '1', '--out', join(dir, 'rm')]);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/--world-pairs mixes world pairs into a --data folder/);
  });

  it('--data takes a comma-separated list of folders and trains on all of them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rd-rmtrain-'));
    dirs.push(dir);
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    writePairs(a, [...makePairs({ n: 4, seed: 1, split: 'train' }), ...makePairs({ n: 2, seed: 2, split: 'id' })]);
    writePairs(b, [...makePairs({ n: 3, seed: 3, split: 'train' }), ...makePairs({ n: 5, seed: 4, split: 'id' })]);
    const r = await run(['rm', 'train', '--preset', 'rd-xs', '--data', `${a},${b}`, '--steps', '1', '--batch', '4', '--out', join(dir, 'rm'), '--json']);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out) as { trainPairs: number; evaluation: Record<string, { n: number }> };
    expect(summary.trainPairs).toBe(7);
    expect(summary.evaluation.id?.n).toBe(7);
    const bad = await run(['rm', 'train', '--preset', 'rd-xs', '--data', `${a},`, '--steps', '1', '--out', join(dir, 'rm2')]);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/comma-separated list of folders, with no empty entry/);
  }, 120_000);
});

describe('vlm pretrain --patch', () => {
  it('shapes a new model with the patch asked for, and refuses a patch the stem cannot make or one beside --init', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rd-vlmpre-'));
    dirs.push(dir);
    const out = join(dir, 'p8');
    const r = await run(['vlm', 'pretrain', '--preset', 'rd-xs', '--patch', '8', '--steps', '1', '--items', '16', '--batch', '4', '--out', out, '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { patch: number }).patch).toBe(8);
    const bad = await run(['vlm', 'pretrain', '--preset', 'rd-xs', '--patch', '6', '--steps', '1', '--out', join(dir, 'p6')]);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/power-of-two patch/);
    const withInit = await run(['vlm', 'pretrain', '--init', out, '--patch', '4', '--steps', '1', '--out', join(dir, 'again')]);
    expect(withInit.code).not.toBe(0);
    expect(withInit.err).toMatch(/--stem, --patch and --media-role-std shape a new model/);
  }, 120_000);
});

describe('rm eval --threads', () => {
  it('evaluates on the threads asked for and refuses a count below one', async () => {
    const model = join(import.meta.dirname, '..', '..', '..', 'models', 'rd-rm-verifier');
    const r = await run(['rm', 'eval', '--model', model, '--pairs', '4', '--threads', '1', '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.out) as { n: number }).n).toBe(4);
    const bad = await run(['rm', 'eval', '--model', model, '--pairs', '4', '--threads', '0']);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/--threads must be an integer >= 1/);
  }, 120_000);
});

describe('rm export', () => {
  it('--half writes a float16 copy half the size that judges like the original; refuses an existing --out and a non-checkpoint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rd-rmexport-'));
    dirs.push(dir);
    const model = join(import.meta.dirname, '..', '..', '..', 'models', 'rd-rm-verifier');
    const out = join(dir, 'half');
    const r = await run(['rm', 'export', '--model', model, '--out', out, '--half', '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out) as { bytesIn: number; bytesOut: number; maxAbsChange: number };
    expect(statSync(join(out, 'model.safetensors')).size).toBe(s.bytesOut);
    expect(s.bytesOut / s.bytesIn).toBeGreaterThan(0.45);
    expect(s.bytesOut / s.bytesIn).toBeLessThan(0.55);
    expect(s.maxAbsChange).toBeGreaterThan(0); // rounded, really
    expect(s.maxAbsChange).toBeLessThan(1e-2);
    expect(existsSync(join(out, 'optimizer.safetensors'))).toBe(false);
    const evalOf = async (m: string): Promise<{ accuracy: number; ece: number }> => JSON.parse((await run(['rm', 'eval', '--model', m, '--pairs', '60', '--threads', '1', '--json'])).out) as { accuracy: number; ece: number };
    const [a, b] = [await evalOf(model), await evalOf(out)];
    expect(Math.abs(a.accuracy - b.accuracy)).toBeLessThanOrEqual(1 / 60 + 1e-9);
    expect(Math.abs(a.ece - b.ece)).toBeLessThan(0.01);
    const again = await run(['rm', 'export', '--model', model, '--out', out, '--half']);
    expect(again.code).not.toBe(0);
    expect(again.err).toMatch(/already exists; choose a new --out folder/);
    const notCkpt = await run(['rm', 'export', '--model', dir, '--out', join(dir, 'x')]);
    expect(notCkpt.code).not.toBe(0);
    expect(notCkpt.err).toMatch(/not a checkpoint folder/);
    expect(existsSync(join(dir, 'x'))).toBe(false);
  }, 120_000);
});
