/**
 * RGB images in memory and their codecs: PNG through pngjs (exact, synchronous), and
 * PNG/JPEG/WebP/GIF-first-frame through sharp. Media is an image or a frame sequence.
 */
import { readFileSync, existsSync } from 'node:fs';
import { PNG } from 'pngjs';
import sharp from 'sharp';
import { InputError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';

/** An 8-bit RGB image, row-major, 3 bytes a pixel. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** What a reward model scores: one image, or the frames of a video. */
export type Media = { readonly kind: 'image'; readonly image: RgbImage } | { readonly kind: 'video'; readonly frames: readonly RgbImage[] };

/** Media holding one image. */
export function imageMedia(image: RgbImage): Media {
  return { kind: 'image', image };
}
/** Media holding frames. */
export function videoMedia(frames: readonly RgbImage[]): Media {
  if (frames.length === 0) throw new InputError('a video needs at least one frame');
  return { kind: 'video', frames };
}
/** The frames of any media (an image is one frame). */
export function mediaFrames(m: Media): readonly RgbImage[] {
  return m.kind === 'image' ? [m.image] : m.frames;
}

/** A blank image filled with one colour. */
export function blankImage(width: number, height: number, rgb: readonly [number, number, number] = [0, 0, 0]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    data[i * 3] = rgb[0];
    data[i * 3 + 1] = rgb[1];
    data[i * 3 + 2] = rgb[2];
  }
  return { width, height, data };
}

/** Encodes an RGB image as PNG (lossless). */
export function encodePng(img: RgbImage): Buffer {
  const png = new PNG({ width: img.width, height: img.height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  png.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false });
}

/** Decodes a PNG synchronously; alpha is dropped (composited on black). */
export function decodePng(bytes: Uint8Array, source = 'image'): RgbImage {
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (err) {
    throw new InputError(`${source}: not a readable PNG (${(err as Error).message})`);
  }
  const n = png.width * png.height;
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const a = png.data[i * 4 + 3]! / 255;
    data[i * 3] = Math.round(png.data[i * 4]! * a);
    data[i * 3 + 1] = Math.round(png.data[i * 4 + 1]! * a);
    data[i * 3 + 2] = Math.round(png.data[i * 4 + 2]! * a);
  }
  return { width: png.width, height: png.height, data };
}

/** Limits checked from the image header before any pixel is decoded (decompression bombs). */
export interface DecodeLimits {
  readonly maxWidth: number;
  readonly maxHeight: number;
  readonly maxPixels: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = { maxWidth: 8192, maxHeight: 8192, maxPixels: 40_000_000 };

/** Reads width and height from a PNG, JPEG, WebP or GIF header without decoding pixels. */
export async function probeImage(bytes: Uint8Array, source = 'image'): Promise<{ width: number; height: number; format: string }> {
  try {
    const meta = await sharp(bytes, { limitInputPixels: false }).metadata();
    if (!meta.width || !meta.height || !meta.format) throw new Error('no dimensions in header');
    return { width: meta.width, height: meta.height, format: meta.format };
  } catch (err) {
    throw new InputError(`${source}: not a readable image (expected PNG, JPEG, WebP or GIF): ${(err as Error).message}`);
  }
}

/**
 * Decodes PNG, JPEG, WebP (or a GIF's first frame) to RGB after checking the header's size
 * against `limits`.
 */
export async function decodeImage(bytes: Uint8Array, source = 'image', limits: DecodeLimits = DEFAULT_DECODE_LIMITS): Promise<RgbImage> {
  const { width, height } = await probeImage(bytes, source);
  if (width > limits.maxWidth || height > limits.maxHeight || width * height > limits.maxPixels) {
    throw new InputError(
      `${source}: image is ${width}x${height}, over the limit of ${limits.maxWidth}x${limits.maxHeight} and ${limits.maxPixels} pixels; resize it first`,
    );
  }
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: limits.maxPixels }).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels, got ${info.channels}`);
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (err) {
    throw new InputError(`${source}: image could not be decoded (corrupt or truncated?): ${(err as Error).message}`);
  }
}

/** Reads an image file (PNG, JPEG, WebP). */
export async function readImage(path: string, limits?: DecodeLimits): Promise<RgbImage> {
  if (!existsSync(path)) throw new InputError(`${path}: no such image file`);
  return decodeImage(readFileSync(path), path, limits);
}

/** Writes an image as PNG atomically. */
export function writePng(path: string, img: RgbImage): void {
  writeFileAtomic(path, encodePng(img));
}

/** Lays frames side by side into one strip image (how videos are stored as PNG). */
export function framesToStrip(frames: readonly RgbImage[]): RgbImage {
  const first = frames[0];
  if (!first) throw new InputError('framesToStrip: no frames');
  const { width: w, height: h } = first;
  const out = new Uint8Array(w * frames.length * h * 3);
  frames.forEach((f, k) => {
    if (f.width !== w || f.height !== h) throw new InputError(`frame ${k} is ${f.width}x${f.height}, expected ${w}x${h}`);
    for (let y = 0; y < h; y++) out.set(f.data.subarray(y * w * 3, (y + 1) * w * 3), (y * w * frames.length + k * w) * 3);
  });
  return { width: w * frames.length, height: h, data: out };
}

/** Splits a strip of `n` equal frames back into frames. */
export function stripToFrames(strip: RgbImage, n: number, source = 'strip'): RgbImage[] {
  if (n < 1 || strip.width % n !== 0) throw new InputError(`${source}: a ${strip.width}px-wide strip cannot hold ${n} equal frames`);
  const w = strip.width / n;
  const h = strip.height;
  const frames: RgbImage[] = [];
  for (let k = 0; k < n; k++) {
    const data = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) data.set(strip.data.subarray((y * strip.width + k * w) * 3, (y * strip.width + (k + 1) * w) * 3), y * w * 3);
    frames.push({ width: w, height: h, data });
  }
  return frames;
}
