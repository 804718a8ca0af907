/**
 * Reads media files for scoring and selection: PNG/JPEG/WebP images, PNG strips of N equal
 * frames (`frames`), and GIF/MP4/WebM videos (through ffmpeg, sampling `frames` frames).
 * The file's type comes from its bytes, not its name.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { imageMedia, readImage, stripToFrames, videoMedia, type Media } from '../data/image.js';
import { detectMediaType, isVideoType, SNIFF_BYTES } from '../data/media-type.js';
import { readVideo } from '../data/video.js';
import { InputError } from '../errors.js';

export interface MediaFileOptions {
  /** Images: split a strip into this many equal frames. Videos: sample this many frames. */
  readonly frames?: number;
}

/** The first bytes of a file. */
function head(path: string): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const buf = new Uint8Array(SNIFF_BYTES);
    const n = readSync(fd, buf, 0, SNIFF_BYTES, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads one media file.
 * @example await readMediaFile('clip.gif', { frames: 8 }) // { kind: 'video', frames: [...8] }
 */
export async function readMediaFile(path: string, opts: MediaFileOptions = {}): Promise<Media> {
  if (!existsSync(path)) throw new InputError(`${path}: no such file`);
  if (!statSync(path).isFile()) throw new InputError(`${path}: not a file`);
  if (opts.frames !== undefined && (!Number.isInteger(opts.frames) || opts.frames < 1)) throw new InputError(`frames must be a positive integer, got ${opts.frames}`);
  const type = detectMediaType(head(path));
  if (type === null) throw new InputError(`${path}: unsupported or corrupt file; expected a PNG, JPEG or WebP image, or a GIF, MP4 or WebM video`);
  if (isVideoType(type)) {
    const { frames } = await readVideo(path, opts.frames === undefined ? {} : { frames: opts.frames });
    return frames.length === 1 && type === 'gif' ? imageMedia(frames[0]!) : videoMedia(frames);
  }
  const img = await readImage(path);
  if (opts.frames !== undefined && opts.frames > 1) return videoMedia(stripToFrames(img, opts.frames, path));
  return imageMedia(img);
}
