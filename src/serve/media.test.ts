/** Unit tests of request media decoding: base64 checks, PNG header reads, and both decode paths agreeing. */
import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { blankImage, decodeImage, encodePng } from '../data/image.js';
import { base64Bytes, decodeMediaBatch, DEFAULT_MEDIA_LIMITS, pngHeader } from './media.js';

function gradient(w: number, h: number): { width: number; height: number; data: Uint8Array } {
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37) % 256;
  return { width: w, height: h, data };
}

describe('request media', () => {
  it('reads PNG headers without decoding', () => {
    expect(pngHeader(encodePng(blankImage(5, 3)))).toEqual({ width: 5, height: 3, plain: true });
    expect(pngHeader(Buffer.from('not a png at all, not a png at all'))).toBeNull();
    const rgba = new PNG({ width: 2, height: 2 });
    rgba.data.fill(128);
    expect(pngHeader(PNG.sync.write(rgba))!.plain).toBe(false);
  });

  it('decodes small plain PNGs (pngjs) to exactly the pixels sharp gives', async () => {
    const img = gradient(31, 17);
    const png = encodePng(img);
    const [m] = await decodeMediaBatch([{ value: png.toString('base64'), source: 'x' }]);
    const viaSharp = await decodeImage(png);
    expect(m).toMatchObject({ kind: 'image' });
    const got = (m as { image: { data: Uint8Array } }).image.data;
    expect(Buffer.from(got).equals(Buffer.from(viaSharp.data))).toBe(true);
    expect(Buffer.from(got).equals(Buffer.from(img.data))).toBe(true);
  });

  it('accepts data URLs and refuses bad base64 and non-image data URLs', () => {
    const b64 = encodePng(blankImage(1, 1)).toString('base64');
    expect(base64Bytes(`data:image/png;base64,${b64}`, 'x').equals(Buffer.from(b64, 'base64'))).toBe(true);
    expect(() => base64Bytes('abc$', 'img')).toThrow(/img: not valid base64/);
    expect(() => base64Bytes('data:text/plain;base64,aGk=', 'img')).toThrow(/only base64 image data URLs/);
  });

  it('bounds pixels per request before decoding', async () => {
    const b64 = encodePng(blankImage(64, 64)).toString('base64');
    await expect(decodeMediaBatch([{ value: [b64, b64], source: 'v' }], { ...DEFAULT_MEDIA_LIMITS, maxRequestPixels: 64 * 64 })).rejects.toThrow(/8192 pixels, over the per-request limit of 4096/);
  });
});
