/**
 * `score` and `select` read GIF and MP4 videos as frame sequences (ffmpeg over pipes),
 * sampling the requested number of frames.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blankImage, mediaFrames } from '../data/image.js';
import { writeVideo } from '../data/video.js';
import { readMediaFile } from './load-media.js';

const COLOURS: [number, number, number][] = [
  [220, 30, 30],
  [30, 200, 40],
  [30, 60, 220],
  [240, 240, 240],
];

describe('video files as reward media', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rd-media-'));
  for (const ext of ['gif', 'mp4'] as const) {
    it(`reads a ${ext.toUpperCase()} into its frames, in order`, async () => {
      const path = join(dir, `clip.${ext}`);
      await writeVideo(path, COLOURS.map((c) => blankImage(32, 32, c)), { fps: 4 });
      const media = await readMediaFile(path, { frames: 4 });
      expect(media.kind).toBe('video');
      const frames = mediaFrames(media);
      expect(frames.length).toBe(4);
      frames.forEach((f, i) => {
        const mid = (16 * 32 + 16) * 3;
        // MP4 is lossy (yuv420p); GIF's palette holds these colours exactly
        const tol = ext === 'mp4' ? 24 : 2;
        for (let c = 0; c < 3; c++) expect(Math.abs(f.data[mid + c]! - COLOURS[i]![c]!)).toBeLessThanOrEqual(tol);
      });
    }, 60_000);
  }
});
