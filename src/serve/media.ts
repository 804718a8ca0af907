/**
 * Media in request bodies: base64 PNG/JPEG/WebP strings (optionally as data URLs), and frame
 * lists for videos. Every header is probed and checked against per-image and per-request
 * pixel limits BEFORE any pixel is decoded, so decompression bombs cost a header read.
 */
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
            const { width, height } = await probeImage(bytes, src);
            if (width > limits.maxWidth || height > limits.maxHeight || width * height > limits.maxPixels) {
              throw new InputError(`${src}: image is ${width}x${height}, over the limit of ${limits.maxWidth}x${limits.maxHeight} and ${limits.maxPixels} pixels; resize it first`);
            }
            return { bytes, source: src, pixels: width * height };
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
        const frames: RgbImage[] = await Promise.all(p.map((f) => decodeImage(f.bytes, f.source, limits)));
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
