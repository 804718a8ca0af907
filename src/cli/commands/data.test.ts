/**
 * `rewarddance data import|export|stats` through commander, as a user types them: a JSONL
 * import with --columns, a swift export, stats --json, and the error path (exit code 1 with a
 * message naming the record).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pngBytes } from '../../../test/fixtures/data/writers.js';
import { runCli } from '../../../test/fixtures/cli.js';
import { register } from './data.js';

const run = (args: string[]): ReturnType<typeof runCli> => runCli(register, args);

afterEach(() => vi.restoreAllMocks());

describe('rewarddance data', () => {
  it('imports, reports, exports and prints stats', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rd-cli-data-'));
    writeFileSync(join(dir, 'a.png'), pngBytes(1));
    writeFileSync(join(dir, 'b.png'), pngBytes(2));
    writeFileSync(join(dir, 'p.jsonl'), [{ caption: 'a red cube', win: 'a.png', lose: 'b.png' }, { caption: 'oops', win: 'a.png', lose: 'none.png' }].map((l) => JSON.stringify(l)).join('\n'));
    const ds = join(dir, 'ds');
    const imp = await run(['data', 'import', '--format', 'jsonl', join(dir, 'p.jsonl'), '--out', ds, '--columns', 'prompt=caption,chosen=win,rejected=lose', '--json']);
    expect(imp.code).toBe(0);
    const report = JSON.parse(imp.out) as { pairs: number; skipped: { count: number; records: { where: string }[] } };
    expect(report.pairs).toBe(1);
    expect(report.skipped.records[0]!.where).toBe('p.jsonl:2');

    const exp = await run(['data', 'export', '--format', 'swift', '--data', ds, '--out', join(dir, 'sft')]);
    expect(exp.code).toBe(0);
    expect(exp.out).toMatch(/exported 2 samples \(1 yes, 1 no\) from 1 pairs/);
    expect(readFileSync(join(dir, 'sft', 'rewarddance_pairwise.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);

    const st = await run(['data', 'stats', ds, '--json']);
    expect(JSON.parse(st.out)).toMatchObject({ pairs: 1, criteria: { 'alignment,quality': 1 }, media: { files: 2 } });
    const txt = await run(['data', 'stats', ds, '--no-media']);
    expect(txt.out).toContain('1 pairs');
    expect(txt.out).not.toContain('image sizes');
  });

  it('runs the docs example on the committed folder fixture (LLaMA-Factory export)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rd-cli-data-'));
    const fixture = join(import.meta.dirname, '../../../test/fixtures/data/tiny-folder');
    const imp = await run(['data', 'import', '--format', 'folder', fixture, '--out', join(dir, 'ds')]);
    expect(imp.out).toMatch(/imported 2 pairs from 3 records \(pairwise layout\)/);
    expect(imp.out).toMatch(/preferences\.csv:4: rejected: media file .*images\/missing\.png not found/);
    await run(['data', 'export', '--format', 'llamafactory', '--data', join(dir, 'ds'), '--out', join(dir, 'sft')]);
    const samples = JSON.parse(readFileSync(join(dir, 'sft', 'rewarddance_pairwise.json'), 'utf8')) as { images: string[] }[];
    expect(samples).toHaveLength(4);
    for (const s of samples) for (const p of s.images) expect(p).toMatch(/^media\/[0-9a-f]{32}\.png$/);
    expect(readFileSync(join(dir, 'sft', samples[0]!.images[1]!)).equals(readFileSync(join(fixture, 'images', 'red.png')))).toBe(true);
  });

  it('exits 1 with a message naming the record under --strict', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rd-cli-data-'));
    writeFileSync(join(dir, 'p.jsonl'), JSON.stringify({ prompt: 'x', chosen: 'a.png', rejected: 'b.png' }) + '\n');
    const r = await run(['data', 'import', '--format', 'jsonl', join(dir, 'p.jsonl'), '--out', join(dir, 'o'), '--strict']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/\nerror: p\.jsonl:1: chosen: media file .*a\.png not found/);
  });
});
