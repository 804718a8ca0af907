/** Dataset statistics: counts per field, label balance, media sizes from headers, missing files. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blankImage, encodePng, framesToStrip } from './image.js';
import { writeManifest } from './manifest.js';
import { datasetStats, formatStats } from './stats.js';

describe('datasetStats', () => {
  it('counts pairs per task, criterion, tag and split, ties, and reads media sizes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rd-stats-'));
    mkdirSync(join(dir, 'm'));
    writeFileSync(join(dir, 'm', 'a.png'), encodePng(blankImage(4, 6)));
    writeFileSync(join(dir, 'm', 'b.png'), encodePng(blankImage(4, 6, [9, 9, 9])));
    writeFileSync(join(dir, 'm', 'c.png'), encodePng(blankImage(8, 2)));
    writeFileSync(join(dir, 'm', 's.png'), encodePng(framesToStrip([blankImage(5, 5), blankImage(5, 5), blankImage(5, 5)])));
    writeFileSync(join(dir, 'm', 't.png'), encodePng(framesToStrip([blankImage(5, 5, [1, 1, 1]), blankImage(5, 5), blankImage(5, 5)])));
    writeManifest(dir, [
      { id: '1', task: 't2i', prompt: 'p', criteria: 'alignment', chosen: 'm/a.png', rejected: 'm/b.png', tag: 'colors', split: 'train', source: 'world' },
      { id: '2', task: 't2i', prompt: 'p', criteria: 'alignment', chosen: 'm/a.png', rejected: 'm/c.png', tag: 'counting', split: 'train', rationale: 'r' },
      { id: '3', task: 't2i', prompt: 'p', criteria: 'quality', chosen: 'm/c.png', rejected: 'm/gone.png', split: 'id', tie: true },
      { id: '4', task: 't2v', prompt: 'p', criteria: 'motion', chosen: 'm/s.png', rejected: 'm/t.png', frames: 3 },
    ]);
    const s = await datasetStats(dir);
    expect(s.pairs).toBe(4);
    expect(s.tasks).toEqual({ t2i: 3, t2v: 1 });
    expect(s.criteria).toEqual({ alignment: 2, motion: 1, quality: 1 });
    expect(s.tags).toEqual({ none: 2, colors: 1, counting: 1 });
    expect(s.splits).toEqual({ train: 2, id: 1, none: 1 });
    expect(s.labels).toEqual({ decided: 3, ties: 1, tieShare: 0.25, withRationale: 1 });
    expect(s.media).toMatchObject({ files: 6, missing: { count: 1, files: ['m/gone.png'] }, unreadable: 0, formats: { png: 5 }, sizes: { '4x6': 2, '5x5': 2, '8x2': 1 } });
    expect(s.media!.videoFrames).toEqual({ min: 3, max: 3, mean: 3 });
    expect(s.media!.width).toEqual({ min: 4, max: 8, mean: 5.2 });
    const text = formatStats(s);
    expect(text).toContain('4 pairs');
    expect(text).toMatch(/alignment\s+2\s+50\.0%/);
    expect((await datasetStats(dir, { media: false })).media).toBeNull();
  });
});
