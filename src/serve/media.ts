/**
 * Media in request bodies: base64 PNG/JPEG/WebP strings (optionally as data URLs), and frame
 * lists for videos. Every header is probed and checked against per-image and per-request
 * pixel limits BEFORE any pixel is decoded, so decompression bombs cost a header read.
 * Small plain 8-bit RGB/grey PNGs (what generators emit) are read by pngjs: measured here,
 * sharp's probe + decode cost ~2.2 ms CPU for a 64x64 PNG against ~0.4 ms for pngjs (0.24 ms
 * at 32x32, under 5% of a request once the model runs), and on the server's HTTP core that
 * decides throughput. Everything else goes through sharp.
 */
import { PNG } from 'pngjs';
import { decodeImage, probeImage, type DecodeLimits, type Media, type RgbImage } from '../data/image.js';
import { InputError } from '../errors.js';

/** Limits on media in one request. */
export interface MediaLimits extends DecodeLimits {
  /** Most frames in one video. */
  readonly maxFrames: number;
  /** Most decoded pixels across all media of one request (bounds memory per request). */
  readonly maxRequestPixels: number;
}

/** Defaults: images up to 4096x4096; videos up to 64 frames; 64 Mpx (192 MB RGB) per request. */
export const DEFAULT_MEDIA_LIMITS: MediaLimits = {
  maxWidth: 4096,
  maxHeight: 4096,
  maxPixels: 4096 * 4096,
  maxFrames: 64,
  maxRequestPixels: 64 * 1024 * 1024,
};

const DATA_URL = /^data:image\/(png|jpeg|jpg|webp|gif);base64,/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Base64 (or an image data URL) to bytes, refusing characters Node's decoder would skip.
 *
 * @example
 * base64Bytes('data:image/png;base64,iVBORw0KGgo=', 'items[0].image'); // Buffer
 */
export function base64Bytes(s: string, source: string): Buffer {
  const body = s.replace(DATA_URL, '').replace(/\s+/g, '');
  if (s.startsWith('data:') && body === s.replace(/\s+/g, '')) {
    throw new InputError(`${source}: only base64 image data URLs are accepted (data:image/png|jpeg|webp;base64,...)`);
  }
  if (body.length === 0) throw new InputError(`${source}: empty image string; expected base64 PNG, JPEG or WebP`);
  if (!BASE64.test(body) || body.length % 4 === 1) throw new InputError(`${source}: not valid base64 (expected base64 PNG, JPEG or WebP bytes)`);
  return Buffer.from(body, 'base64');
}

/** An image waiting to be decoded: its bytes and header size. */
interface Probed {
  readonly bytes: Buffer;
  readonly source: string;
  readonly pixels: number;
  /** pngjs decodes it exactly as sharp would (see pngHeader). */
  readonly plainPng: boolean;
}

/** Largest PNG decoded synchronously on the event loop (~0.5 ms of blocked event loop at most). */
const MAX_SYNC_PNG_PIXELS = 128 * 128;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** PNG colour types pngjs and sharp read alike: 0 grey, 2 RGB (no alpha, no palette). */
const PLAIN_COLOUR_TYPES = new Set([0, 2]);
/** Chunks that would make pngjs and sharp disagree: transparency, colour profiles and gamma. */
const SHARP_ONLY_CHUNKS = new Set(['tRNS', 'iCCP', 'gAMA', 'cHRM', 'sRGB']);

/**
 * Reads a PNG's IHDR without decoding: its size, and whether it is "plain" (8-bit grey or
 * RGB, not interlaced, none of the chunks above before the image data), which pngjs decodes
 * to the same pixels as sharp. Null when the bytes are not a well-formed PNG start.
 *
 * @example
 * pngHeader(encodePng(blankImage(4, 3))); // { width: 4, height: 3, plain: true }
 */
export function pngHeader(b: Uint8Array): { width: number; height: number; plain: boolean } | null {
  if (b.length < 33 || !PNG_SIGNATURE.equals(b.subarray(0, 8))) return null;
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (buf.toString('ascii', 12, 16) !== 'IHDR') return null;
  const width = buf.readUInt32BE(16);
  const height = buf.readUInt32BE(20);
  let plain = buf[24] === 8 && PLAIN_COLOUR_TYPES.has(buf[25]!) && buf[28] === 0;
  for (let at = 33; plain && at + 8 <= buf.length; ) {
    const len = buf.readUInt32BE(at);
    const type = buf.toString('ascii', at + 4, at + 8);
    if (type === 'IDAT') break;
    if (SHARP_ONLY_CHUNKS.has(type)) plain = false;
    at += 12 + len;
  }
  return { width, height, plain };
}

/**
 * Decodes media for one request in two passes: probe every header and check every limit,
 * then decode. Entries are a base64 string (an image) or a list of them (video frames);
 * returns, per entry, the media or the error that entry alone caused.
 *
 * @example
 * const [m] = await decodeMediaBatch([{ value: b64png, source: 'items[0].image' }], DEFAULT_MEDIA_LIMITS);
 */
export async function decodeMediaBatch(
  entries: readonly { readonly value: string | readonly string[]; readonly source: string }[],
  limits: MediaLimits = DEFAULT_MEDIA_LIMITS,
): Promise<(Media | InputError)[]> {
  const probed = await Promise.all(
    entries.map(async ({ value, source }): Promise<Probed[] | InputError> => {
      try {
        const list = typeof value === 'string' ? [value] : value;
        if (list.length === 0) throw new InputError(`${source}: a frame list needs at least one frame`);
        if (list.length > limits.maxFrames) throw new InputError(`${source}: ${list.length} frames, over the limit of ${limits.maxFrames}; sample fewer frames`);
        return await Promise.all(
          list.map(async (v, k) => {
            const src = typeof value === 'string' ? source : `${source}[${k}]`;
            const bytes = base64Bytes(v, src);
            const png = pngHeader(bytes);
            const { width, height } = png ?? (await probeImage(bytes, src));
            if (width > limits.maxWidth || height > limits.maxHeight || width * height > limits.maxPixels) {
              throw new InputError(`${src}: image is ${width}x${height}, over the limit of ${limits.maxWidth}x${limits.maxHeight} and ${limits.maxPixels} pixels; resize it first`);
            }
            return { bytes, source: src, pixels: width * height, plainPng: png !== null && png.plain && width * height <= MAX_SYNC_PNG_PIXELS };
          }),
        );
      } catch (err) {
        if (err instanceof InputError) return err;
        throw err;
      }
    }),
  );
  let total = 0;
  for (const p of probed) if (!(p instanceof InputError)) total += p.reduce((a, f) => a + f.pixels, 0);
  if (total > limits.maxRequestPixels) {
    throw new InputError(`the request's media hold ${total} pixels, over the per-request limit of ${limits.maxRequestPixels}; send fewer or smaller images per request`);
  }
  return Promise.all(
    probed.map(async (p, i): Promise<Media | InputError> => {
      if (p instanceof InputError) return p;
      try {
        const frames: RgbImage[] = await Promise.all(p.map((f) => (f.plainPng ? decodeSmallPng(f.bytes, f.source) : decodeImage(f.bytes, f.source, limits))));
        if (typeof entries[i]!.value === 'string') return { kind: 'image', image: frames[0]! };
        const { width, height } = frames[0]!;
        const odd = frames.findIndex((f) => f.width !== width || f.height !== height);
        if (odd >= 0) throw new InputError(`${entries[i]!.source}[${odd}]: frame is ${frames[odd]!.width}x${frames[odd]!.height}, expected ${width}x${height} like frame 0`);
        return { kind: 'video', frames };
      } catch (err) {
        if (err instanceof InputError) return err;
        throw err;
      }
    }),
  );
}

/** pngjs for a small plain PNG (opaque, so RGBA to RGB is a copy), with the sharp path's error wording. */
function decodeSmallPng(bytes: Buffer, source: string): Promise<RgbImage> {
  try {
    const png = PNG.sync.read(bytes);
    const n = png.width * png.height;
    const data = new Uint8Array(n * 3);
    for (let i = 0, j = 0; i < n; i++, j += 4) {
      data[i * 3] = png.data[j]!;
      data[i * 3 + 1] = png.data[j + 1]!;
      data[i * 3 + 2] = png.data[j + 2]!;
    }
    return Promise.resolve({ width: png.width, height: png.height, data });
  } catch (err) {
    return Promise.reject(new InputError(`${source}: image could not be decoded (corrupt or truncated?): ${(err as Error).message}`));
  }
}
