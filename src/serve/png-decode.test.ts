/** Unit tests of the plain-PNG decoder: every row filter and both colour types against sharp, and malformed data refused. */
import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { crc32, deflateSync } from 'node:zlib';
import { decodeImage, encodePng } from '../data/image.js';
import { InputError } from '../errors.js';
import { decodePlainPng } from './png-decode.js';

function noise(w: number, h: number, seed: number): Uint8Array {
  const data = new Uint8Array(w * h * 3);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    // smooth plus noise, so that every filter has something to predict
    data[i] = ((i >> 2) + ((s >>> 24) & 0x1f)) & 0xff;
  }
  return data;
}

/** A PNG written by pngjs with one fixed row filter and colour type. */
function pngWith(w: number, h: number, rgb: Uint8Array, filterType: number, colorType: 0 | 2): Buffer {
  const png = new PNG({ width: w, height: h, colorType, inputColorType: 2, inputHasAlpha: false, filterType });
  png.data = Buffer.from(rgb);
  return PNG.sync.write(png, { colorType, inputColorType: 2, inputHasAlpha: false, filterType });
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

describe('decodePlainPng', () => {
  it('decodes every row filter, RGB and grey, to exactly the pixels sharp gives', async () => {
    for (const [w, h] of [[1, 1], [32, 32], [31, 17], [5, 40]] as const) {
      for (const colorType of [2, 0] as const) {
        for (const filterType of [0, 1, 2, 3, 4]) {
          const src = noise(w, h, w * 100 + h + filterType);
          if (colorType === 0) for (let i = 0; i < src.length; i += 3) src[i + 1] = src[i + 2] = src[i]!;
          const bytes = pngWith(w, h, src, filterType, colorType);
          const got = decodePlainPng(bytes, 'x');
          const viaSharp = await decodeImage(bytes);
          expect([got.width, got.height]).toEqual([w, h]);
          expect(Buffer.from(got.data).equals(Buffer.from(viaSharp.data)), `${w}x${h} colour ${colorType} filter ${filterType}`).toBe(true);
          expect(Buffer.from(got.data).equals(Buffer.from(src))).toBe(true);
        }
      }
    }
  });

  it('reads image data split over several IDAT chunks', () => {
    const src = noise(8, 8, 3);
    const raw = Buffer.alloc((8 * 3 + 1) * 8);
    for (let y = 0; y < 8; y++) raw.set(src.subarray(y * 24, (y + 1) * 24), y * 25 + 1);
    const z = deflateSync(raw);
    const ihdr = Buffer.from([0, 0, 0, 8, 0, 0, 0, 8, 8, 2, 0, 0, 0]);
    const png = Buffer.concat([encodePng({ width: 1, height: 1, data: new Uint8Array(3) }).subarray(0, 8), chunk('IHDR', ihdr), chunk('IDAT', z.subarray(0, 10)), chunk('IDAT', z.subarray(10)), chunk('IEND', Buffer.alloc(0))]);
    expect(Buffer.from(decodePlainPng(png, 'x').data).equals(Buffer.from(src))).toBe(true);
  });

  it('refuses truncated, corrupted, oversized and non-plain data with the source named', () => {
    const good = encodePng({ width: 16, height: 16, data: noise(16, 16, 1) });
    const refuse = (b: Uint8Array, why: RegExp): void => {
      let err: unknown;
      try {
        decodePlainPng(b, 'items[3].image');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toMatch(/^items\[3\]\.image: image could not be decoded \(corrupt or truncated\?\)/);
      expect((err as Error).message).toMatch(why);
    };
    refuse(good.subarray(0, good.length - 20), /ends inside a chunk/);
    const flipped = Buffer.from(good);
    flipped[40] = flipped[40]! ^ 0xff;
    refuse(flipped, /bad CRC/);
    refuse(Buffer.from('GIF89a not a png'), /no PNG signature/);
    // image data that inflates to more than the header allows (a small decompression bomb)
    const ihdr = Buffer.from([0, 0, 0, 2, 0, 0, 0, 2, 8, 2, 0, 0, 0]);
    const bomb = Buffer.concat([good.subarray(0, 8), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(1 << 20))), chunk('IEND', Buffer.alloc(0))]);
    refuse(bomb, /./);
    const badFilter = Buffer.concat([good.subarray(0, 8), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.from([9, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6]))), chunk('IEND', Buffer.alloc(0))]);
    refuse(badFilter, /unknown row filter 9 in row 0/);
    const rgba = new PNG({ width: 2, height: 2 });
    rgba.data.fill(100);
    refuse(PNG.sync.write(rgba), /not an 8-bit grey or RGB non-interlaced PNG/);
  });
});
