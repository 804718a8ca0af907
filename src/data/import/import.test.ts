/**
 * Import round trips on files from independent writers (hyparquet-writer with ZSTD and Snappy,
 * hand-written JSONL and CSV): the right pairs, media copied byte for byte, rankings turned
 * into the right pairs, and clear errors that name the record.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parquetMetadata } from 'hyparquet';
import { decompressZstd } from 'hyparquet-compressors';
import { pngBytes, writeParquet, zstdRawFrame } from '../../../test/fixtures/data/writers.js';
import { readManifest, type PairRecord } from '../manifest.js';
import { writeVideo } from '../video.js';
import { blankImage } from '../image.js';
import { importDataset } from './import.js';

const root = mkdtempSync(join(tmpdir(), 'rd-import-'));
let n = 0;
/** A fresh folder per test. */
function fresh(): string {
  const d = join(root, `t${n++}`);
  mkdirSync(d, { recursive: true });
  return d;
}

/** The bytes a manifest media path points to. */
function media(out: string, p: string): Buffer {
  return readFileSync(join(out, p));
}

/** Which of `originals` each pair's chosen/rejected media is (by bytes). */
function identify(out: string, pairs: readonly PairRecord[], originals: readonly Uint8Array[]): [number, number][] {
  const which = (p: string): number => originals.findIndex((o) => Buffer.from(o).equals(media(out, p)));
  return pairs.map((p) => [which(p.chosen), which(p.rejected)]);
}

describe('JSONL import', () => {
  it('imports pairs with relative paths, skips bad lines with reasons and reports duplicates', async () => {
    const dir = fresh();
    mkdirSync(join(dir, 'img'));
    const imgs = [0, 1, 2].map((k) => pngBytes(k));
    imgs.forEach((b, k) => writeFileSync(join(dir, 'img', `${k}.png`), b));
    const lines = [
      { prompt: 'a red cube', chosen: 'img/0.png', rejected: 'img/1.png', criteria: 'alignment', split: 'train', rationale: 'the cube is red' },
      { prompt: 'a blue ball', chosen: 'img/2.png', rejected: 'img/0.png' },
      { prompt: 'a red cube', chosen: 'img/0.png', rejected: 'img/1.png', criteria: 'alignment' }, // duplicate of line 1
      { prompt: 'missing', chosen: 'img/nope.png', rejected: 'img/1.png' },
      { prompt: '', chosen: 'img/0.png', rejected: 'img/1.png' },
      { prompt: 'same media', chosen: 'img/1.png', rejected: 'img/1.png' },
      { prompt: 'bad split', chosen: 'img/1.png', rejected: 'img/2.png', split: 'validation' },
    ].map((l) => JSON.stringify(l));
    lines.splice(4, 0, '{not json');
    writeFileSync(join(dir, 'prefs.jsonl'), lines.join('\n') + '\n');
    const out = join(dir, 'out');
    const r = await importDataset({ format: 'jsonl', source: join(dir, 'prefs.jsonl'), out });
    expect(r.layout).toBe('pairwise');
    expect(r.rows).toBe(8);
    expect(r.pairs).toBe(2);
    expect(r.duplicates).toEqual({ count: 1, records: [{ where: 'prefs.jsonl:3', duplicateOf: 'prefs.jsonl:1' }] });
    expect(r.skipped.count).toBe(5);
    const reasons = Object.fromEntries(r.skipped.records.map((s) => [s.where, s.reason]));
    expect(reasons['prefs.jsonl:4']).toMatch(/chosen: media file .*img\/nope\.png not found/);
    expect(reasons['prefs.jsonl:5']).toMatch(/malformed JSON/);
    expect(reasons['prefs.jsonl:6']).toMatch(/prompt \(column 'prompt'\) is missing or empty/);
    expect(reasons['prefs.jsonl:7']).toMatch(/chosen and rejected are the same media/);
    expect(reasons['prefs.jsonl:8']).toMatch(/split \(column 'split'\) is "validation"; expected one of train, id, ood/);

    const { pairs } = readManifest(out);
    expect(pairs[0]).toMatchObject({ id: 'prefs.jsonl:1', task: 't2i', prompt: 'a red cube', criteria: 'alignment', split: 'train', rationale: 'the cube is red', source: 'import:jsonl:prefs.jsonl' });
    expect(pairs[1]).toMatchObject({ prompt: 'a blue ball', criteria: 'alignment,quality' });
    expect(pairs[0]!.chosen).toMatch(/^media\/[0-9a-f]{32}\.png$/);
    expect(identify(out, pairs, imgs)).toEqual([[0, 1], [2, 0]]);
    // Only media that pairs use are kept (image 0 is shared and stored once).
    expect(readdirSync(join(out, 'media')).sort()).toHaveLength(3);
    expect(JSON.parse(readFileSync(join(out, 'import-report.json'), 'utf8'))).toMatchObject({ pairs: 2, skipped: { count: 5 } });
  });

  it('stops at the first bad record under strict, writing no manifest and no media', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'a.png'), pngBytes(1));
    writeFileSync(join(dir, 'b.png'), pngBytes(2));
    writeFileSync(join(dir, 'p.jsonl'), [JSON.stringify({ prompt: 'x', chosen: 'a.png', rejected: 'b.png' }), JSON.stringify({ prompt: 'y', chosen: 'a.png', rejected: 'gone.png' })].join('\n'));
    const out = join(dir, 'out');
    await expect(importDataset({ format: 'jsonl', source: join(dir, 'p.jsonl'), out, strict: true })).rejects.toThrow(/p\.jsonl:2: rejected: media file .*gone\.png not found/);
    expect(existsSync(join(out, 'manifest.jsonl'))).toBe(false);
    expect(existsSync(join(out, 'media')) ? readdirSync(join(out, 'media')) : []).toEqual([]);
  });

  it('refuses to replace a manifest without force, and says when nothing could be imported', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'p.jsonl'), JSON.stringify({ prompt: 'y', chosen: 'a.png', rejected: 'gone.png' }) + '\n');
    await expect(importDataset({ format: 'jsonl', source: join(dir, 'p.jsonl'), out: join(dir, 'o') })).rejects.toThrow(/no pairs imported from 1 records \(1 skipped.*p\.jsonl:1: chosen: media file/);
    mkdirSync(join(dir, 'o2'));
    writeFileSync(join(dir, 'o2', 'manifest.jsonl'), '');
    await expect(importDataset({ format: 'jsonl', source: join(dir, 'p.jsonl'), out: join(dir, 'o2') })).rejects.toThrow(/already holds a manifest\.jsonl.*--force/);
  });
});

describe('Parquet import (Hugging Face layouts, hyparquet-writer files)', () => {
  it('reads a Pick-a-Pic style label layout with binary columns and ZSTD, ties dropped or kept', async () => {
    const dir = fresh();
    const imgs = Array.from({ length: 8 }, (_, k) => pngBytes(k));
    const file = join(dir, 'pickapic.parquet');
    writeFileSync(
      file,
      writeParquet(
        [
          { name: 'caption', kind: 'string', data: ['one', 'two', 'three', 'four'] },
          { name: 'jpg_0', kind: 'binary', data: [imgs[0], imgs[2], imgs[4], imgs[6]] },
          { name: 'jpg_1', kind: 'binary', data: [imgs[1], imgs[3], imgs[5], imgs[7]] },
          { name: 'label_0', kind: 'double', data: [1, 0, 0.5, 0.3] },
        ],
        'ZSTD',
      ),
    );
    expect(parquetMetadata(new Uint8Array(readFileSync(file)).buffer).row_groups[0]!.columns.map((c) => c.meta_data!.codec)).toEqual(['ZSTD', 'ZSTD', 'ZSTD', 'ZSTD']);
    const out = join(dir, 'out');
    const r = await importDataset({ format: 'parquet', source: file, out });
    expect(r.layout).toBe('label');
    expect(r.columns).toMatchObject({ prompt: 'caption', image0: 'jpg_0', image1: 'jpg_1', label: 'label_0' });
    expect(r.ties).toEqual({ kept: 0, dropped: 1 });
    expect(r.skipped.records).toEqual([{ where: 'pickapic.parquet row 3', reason: "label (column 'label_0'): bad label 0.3; expected 1 (first media preferred), 0 (second preferred) or 0.5 (tie)" }]);
    const { pairs } = readManifest(out);
    expect(pairs.map((p) => p.prompt)).toEqual(['one', 'two']);
    expect(identify(out, pairs, imgs)).toEqual([[0, 1], [3, 2]]);

    const sliced = await importDataset({ format: 'parquet', source: file, out: join(dir, 'sliced'), limit: 1 });
    expect([sliced.rows, sliced.pairs]).toEqual([1, 1]);

    const out2 = join(dir, 'out2');
    const r2 = await importDataset({ format: 'parquet', source: file, out: out2, ties: 'keep' });
    expect(r2.ties).toEqual({ kept: 1, dropped: 0 });
    const tie = readManifest(out2).pairs[2]!;
    expect(tie).toMatchObject({ prompt: 'three', tie: true });
  });

  it('the test ZSTD fallback (raw-block frames) is valid Zstandard, also across blocks', () => {
    const big = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7) % 251);
    expect(Buffer.from(decompressZstd(zstdRawFrame(big))).equals(Buffer.from(big))).toBe(true);
    expect(decompressZstd(zstdRawFrame(new Uint8Array(0)))).toHaveLength(0);
  });

  it('reads image structs {bytes, path} with Snappy, a path-only struct, and a --columns mapping', async () => {
    const dir = fresh();
    const imgs = Array.from({ length: 4 }, (_, k) => pngBytes(k + 10));
    writeFileSync(join(dir, 'side.png'), imgs[3]!);
    const file = join(dir, 'train-00000-of-00001.parquet');
    writeFileSync(
      file,
      writeParquet(
        [
          { name: 'txt', kind: 'string', data: ['p0', 'p1'] },
          { name: 'img_w', kind: 'image', data: [{ bytes: imgs[0], path: 'a.png' }, { bytes: imgs[2], path: null }] },
          { name: 'img_l', kind: 'image', data: [{ bytes: imgs[1], path: 'b.png' }, { bytes: null, path: 'side.png' }] },
          { name: 'uid', kind: 'string', data: ['u0', 'u1'] },
        ],
        'SNAPPY',
      ),
    );
    const out = join(dir, 'out');
    const r = await importDataset({ format: 'parquet', source: dir, out, columns: 'prompt=txt,chosen=img_w,rejected=img_l,id=uid', criteria: 'quality' });
    expect(r.pairs).toBe(2);
    const { pairs } = readManifest(out);
    expect(pairs.map((p) => [p.id, p.prompt, p.criteria])).toEqual([['u0', 'p0', 'quality'], ['u1', 'p1', 'quality']]);
    expect(identify(out, pairs, imgs)).toEqual([[0, 1], [2, 3]]);
  });

  it('turns an ImageReward-style ranking list into every pair, lower rank preferred, ties by option', async () => {
    const dir = fresh();
    const imgs = Array.from({ length: 7 }, (_, k) => pngBytes(k + 20));
    const file = join(dir, 'ranked.parquet');
    writeFileSync(
      file,
      writeParquet(
        [
          { name: 'prompt', kind: 'string', data: ['three ranked', 'with a tie'] },
          { name: 'images', kind: 'image-list', data: [[0, 1, 2].map((k) => ({ bytes: imgs[k], path: null })), [3, 4, 5, 6].map((k) => ({ bytes: imgs[k], path: null }))] },
          { name: 'ranking', kind: 'int64-list', data: [[2n, 1n, 3n], [1n, 2n, 2n, 3n]] },
        ],
        'ZSTD',
      ),
    );
    const out = join(dir, 'out');
    const r = await importDataset({ format: 'parquet', source: file, out });
    expect(r.layout).toBe('ranking');
    const { pairs } = readManifest(out);
    // Row 0: ranks 2,1,3 -> 1>0, 0>2, 1>2. Row 1: ranks 1,2,2,3 -> 3>4, 3>5, 3>6, (4=5 tie dropped), 4>6, 5>6.
    expect(identify(out, pairs, imgs)).toEqual([[1, 0], [0, 2], [1, 2], [3, 4], [3, 5], [3, 6], [4, 6], [5, 6]]);
    expect(pairs.map((p) => p.id)).toEqual(['ranked.parquet row 0-0-1', 'ranked.parquet row 0-0-2', 'ranked.parquet row 0-1-2', 'ranked.parquet row 1-0-1', 'ranked.parquet row 1-0-2', 'ranked.parquet row 1-0-3', 'ranked.parquet row 1-1-3', 'ranked.parquet row 1-2-3']);
    expect(r.ties.dropped).toBe(1);
    const kept = await importDataset({ format: 'parquet', source: file, out: join(dir, 'out2'), ties: 'keep' });
    expect(kept.pairs).toBe(9);
    expect(readManifest(join(dir, 'out2')).pairs.filter((p) => p.tie).map((p) => p.id)).toEqual(['ranked.parquet row 1-1-2']);
  });

  it('gathers one-image-per-row rankings by prompt_id (ImageRewardDB layout)', async () => {
    const dir = fresh();
    const imgs = Array.from({ length: 5 }, (_, k) => pngBytes(k + 40));
    const file = join(dir, 'db.parquet');
    writeFileSync(
      file,
      writeParquet(
        [
          { name: 'prompt_id', kind: 'string', data: ['a', 'b', 'a', 'b', 'a'] },
          { name: 'prompt', kind: 'string', data: ['cat', 'dog', 'cat', 'dog', 'cat'] },
          { name: 'image', kind: 'image', data: imgs.map((b) => ({ bytes: b, path: null })) },
          { name: 'rank', kind: 'int64', data: [3n, 1n, 1n, 2n, 2n] },
        ],
        'SNAPPY',
      ),
    );
    const out = join(dir, 'out');
    await importDataset({ format: 'parquet', source: file, out });
    const { pairs } = readManifest(out);
    // Group a: rows 0 (rank 3), 2 (rank 1), 4 (rank 2) -> 2>0, 4>0, 2>4. Group b: rows 1 (1), 3 (2) -> 1>3.
    expect(identify(out, pairs, imgs)).toEqual([[2, 0], [4, 0], [2, 4], [1, 3]]);
    expect(pairs.map((p) => p.prompt)).toEqual(['cat', 'cat', 'cat', 'dog']);
  });

  it('names the file for a truncated Parquet and the rows for a corrupt page', async () => {
    const dir = fresh();
    const good = writeParquet(
      [
        { name: 'prompt', kind: 'string', data: ['x'] },
        { name: 'chosen', kind: 'binary', data: [pngBytes(1)] },
        { name: 'rejected', kind: 'binary', data: [pngBytes(2)] },
      ],
      'SNAPPY',
    );
    writeFileSync(join(dir, 'trunc.parquet'), good.subarray(0, good.length - 5));
    await expect(importDataset({ format: 'parquet', source: join(dir, 'trunc.parquet'), out: join(dir, 'o') })).rejects.toThrow(/trunc\.parquet: not a readable Parquet file \(corrupt or truncated\?\)/);
    const bad = Uint8Array.from(good);
    bad.fill(0xff, 4, 40); // the first data page header
    writeFileSync(join(dir, 'page.parquet'), bad);
    await expect(importDataset({ format: 'parquet', source: join(dir, 'page.parquet'), out: join(dir, 'o') })).rejects.toThrow(/page\.parquet: rows 0-0 could not be read \(corrupt Parquet page\?\)/);
  });

  it('rejects unknown columns and fields in --columns, listing what there is', async () => {
    const dir = fresh();
    const file = join(dir, 'x.parquet');
    writeFileSync(file, writeParquet([{ name: 'caption', kind: 'string', data: ['x'] }, { name: 'a', kind: 'binary', data: [pngBytes(1)] }], 'SNAPPY'));
    await expect(importDataset({ format: 'parquet', source: file, out: join(dir, 'o'), columns: 'chosen=winner' })).rejects.toThrow(/maps chosen to 'winner', but there is no such column; columns are: caption, a/);
    await expect(importDataset({ format: 'parquet', source: file, out: join(dir, 'o'), columns: 'winner=a' })).rejects.toThrow(/unknown field 'winner'; fields are id, prompt/);
    await expect(importDataset({ format: 'parquet', source: file, out: join(dir, 'o') })).rejects.toThrow(/cannot tell the layout from the columns \(caption, a\)/);
  });
});

describe('folder import', () => {
  it('reads a preferences CSV beside the images, with a label layout and a truncated image', async () => {
    const dir = fresh();
    mkdirSync(join(dir, 'gen'));
    const imgs = [0, 1, 2, 3].map((k) => pngBytes(k + 60));
    imgs.forEach((b, k) => writeFileSync(join(dir, 'gen', `${k}.png`), b));
    writeFileSync(join(dir, 'gen', 'broken.png'), imgs[0]!.subarray(0, 30));
    writeFileSync(join(dir, 'prefs.csv'), 'prompt,image_a,image_b,preference\n"a cat, sitting",gen/0.png,gen/1.png,0\nsecond,gen/2.png,gen/3.png,1\nthird,gen/broken.png,gen/3.png,1\n');
    const out = join(dir, 'out');
    const r = await importDataset({ format: 'folder', source: dir, out });
    expect(r.layout).toBe('label');
    expect(r.skipped.records[0]!.where).toBe('prefs.csv:4');
    expect(r.skipped.records[0]!.reason).toMatch(/chosen.*(could not be decoded|not a readable image)/);
    const { pairs } = readManifest(out);
    expect(pairs.map((p) => p.prompt)).toEqual(['a cat, sitting', 'second']);
    expect(identify(out, pairs, imgs)).toEqual([[1, 0], [2, 3]]);
  });
});

describe('video import', () => {
  it('copies MP4 media, probes them and marks the pairs t2v', async () => {
    const dir = fresh();
    const frame = (v: number): ReturnType<typeof blankImage> => blankImage(16, 16, [v, v, v]);
    await writeVideo(join(dir, 'good.mp4'), [frame(200), frame(210), frame(220)]);
    await writeVideo(join(dir, 'bad.mp4'), [frame(10), frame(20)]);
    writeFileSync(join(dir, 'broken.mp4'), readFileSync(join(dir, 'bad.mp4')).subarray(0, 40));
    writeFileSync(join(dir, 'v.jsonl'), [{ prompt: 'a spinning cube', chosen: 'good.mp4', rejected: 'bad.mp4' }, { prompt: 'b', chosen: 'good.mp4', rejected: 'broken.mp4' }].map((l) => JSON.stringify(l)).join('\n'));
    const out = join(dir, 'out');
    const r = await importDataset({ format: 'jsonl', source: join(dir, 'v.jsonl'), out });
    expect(r.media).toMatchObject({ videos: 2, images: 0 });
    expect(r.skipped.records[0]!.reason).toMatch(/rejected: .*broken\.mp4' is not a usable video/);
    const [p] = readManifest(out).pairs;
    expect(p).toMatchObject({ task: 't2v' });
    expect(p!.chosen).toMatch(/\.mp4$/);
    expect(media(out, p!.chosen).equals(readFileSync(join(dir, 'good.mp4')))).toBe(true);
  });
});
