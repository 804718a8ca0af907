/** Video I/O: MP4 and GIF round trips through ffmpeg, frame sampling, WebM reading, missing ffmpeg. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import type { RgbImage } from './image.js';
import { probeVideo, readVideo, sampleIndices, writeVideo } from './video.js';

/** Frame k is one solid colour that changes with k, so sampled frames can be identified. */
function solidFrames(n: number, width: number, height: number): RgbImage[] {
  return Array.from({ length: n }, (_, k) => {
    const data = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * height; i++) {
      data[i * 3] = k * 20;
      data[i * 3 + 1] = 128;
      data[i * 3 + 2] = 240 - k * 20;
    }
    return { width, height, data };
  });
}

/** Mean absolute difference between two same-size images. */
function meanAbsDiff(a: RgbImage, b: RgbImage): number {
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += Math.abs(a.data[i]! - b.data[i]!);
  return s / a.data.length;
}

const dir = mkdtempSync(join(tmpdir(), 'rd-video-'));
const savedEnv = process.env.RD_FFMPEG;
afterEach(() => {
  if (savedEnv === undefined) delete process.env.RD_FFMPEG;
  else process.env.RD_FFMPEG = savedEnv;
});

describe('sampleIndices', () => {
  it('takes segment centres, and repeats frames when there are too few', () => {
    expect(sampleIndices(10, 4)).toEqual([1, 3, 6, 8]);
    expect(sampleIndices(10, 1)).toEqual([5]);
    expect(sampleIndices(3, 6)).toEqual([0, 0, 1, 1, 2, 2]);
    expect(() => sampleIndices(10, 0)).toThrow(/positive integer/);
  });
});

describe('video round trips', () => {
  const frames = solidFrames(10, 16, 12);

  it('writes an MP4 and reads every frame back in order, close to the original', async () => {
    const p = join(dir, 'a.mp4');
    await writeVideo(p, frames, { fps: 8 });
    const info = await probeVideo(p);
    expect(info).toMatchObject({ frames: 10, codec: 'h264', width: 16, height: 12 });
    expect(info.fps).toBeCloseTo(8, 5);
    const r = await readVideo(p);
    expect(r.frames).toHaveLength(10);
    // Neighbouring originals differ by ~13 on average, so < 3 pins each frame to its own original.
    r.frames.forEach((f, k) => expect(meanAbsDiff(f, frames[k]!)).toBeLessThan(3));
  });

  it('pads odd sizes to even for H.264', async () => {
    const p = join(dir, 'odd.mp4');
    await writeVideo(p, solidFrames(2, 17, 11));
    expect(await probeVideo(p)).toMatchObject({ width: 18, height: 12, frames: 2 });
  });

  it('samples N frames from an MP4 at segment centres', async () => {
    const p = join(dir, 'b.mp4');
    await writeVideo(p, solidFrames(10, 16, 16));
    const r = await readVideo(p, { frames: 4 });
    expect(r.indices).toEqual([1, 3, 6, 8]);
    expect(r.sourceFrames).toBe(10);
    // Each sampled frame's red channel identifies it: frame k has red = 20k.
    expect(r.frames.map((f) => Math.round(f.data[0]! / 20))).toEqual([1, 3, 6, 8]);
  });

  it('writes a GIF and reads exactly its frames back (no duplicated frames)', async () => {
    const p = join(dir, 'c.gif');
    await writeVideo(p, frames, { fps: 5 });
    const r = await readVideo(p);
    expect(r.frames).toHaveLength(10);
    r.frames.forEach((f, k) => expect(meanAbsDiff(f, frames[k]!)).toBeLessThan(4));
    const s = await readVideo(p, { frames: 3, size: { width: 8, height: 6 } });
    expect(s.frames.map((f) => [f.width, f.height])).toEqual([[8, 6], [8, 6], [8, 6]]);
    expect(s.frames.map((f) => Math.round(f.data[0]! / 20))).toEqual([1, 5, 8]);
  });

  it('reads a WebM made by ffmpeg itself', async () => {
    const p = join(dir, 'd.webm');
    const made = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=red:s=16x8:r=4:d=1.5', '-c:v', 'libvpx', p]);
    expect(made.status).toBe(0);
    const r = await readVideo(p, { frames: 2 });
    expect(r.sourceFrames).toBe(6);
    expect(r.frames[0]!.data[0]).toBeGreaterThan(200); // red
    expect(r.frames[0]!.data[2]).toBeLessThan(40);
  });
});

describe('video errors', () => {
  it('names the install line when ffmpeg is missing', async () => {
    process.env.RD_FFMPEG = '/nonexistent/bin/ffmpeg';
    await expect(writeVideo(join(dir, 'x.mp4'), solidFrames(2, 4, 4))).rejects.toThrow(/could not run '\/nonexistent\/bin\/ffmpeg'.*apt-get install ffmpeg/);
    await expect(probeVideo(join(dir, 'a.mp4'))).rejects.toThrow(/nonexistent\/bin\/ffprobe.*apt-get install ffmpeg/);
  });

  it('rejects a corrupt video, an unknown extension and mismatched frames', async () => {
    const bad = join(dir, 'bad.mp4');
    writeFileSync(bad, 'not a video at all');
    await expect(readVideo(bad)).rejects.toThrow(/bad\.mp4: not a readable video/);
    await expect(writeVideo(join(dir, 'x.avi'), solidFrames(2, 4, 4))).rejects.toThrow(/use a \.mp4 or \.gif path/);
    await expect(writeVideo(join(dir, 'x.gif'), [...solidFrames(1, 4, 4), ...solidFrames(1, 5, 4)])).rejects.toThrow(/frame 1 is 5x4, expected 4x4/);
  });
});
