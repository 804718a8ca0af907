/**
 * Media for imports: turns a cell (a path, raw bytes, or a Hugging Face `{bytes, path}` image
 * struct) into a validated file under `OUT/media/`, named by content hash so that an image
 * used by many pairs is stored once. PNG, JPEG and WebP are copied byte for byte; GIF (for
 * images), BMP and TIFF are converted to PNG; MP4, WebM (and GIF for video tasks) are probed
 * with ffprobe and copied. Files this run wrote but no pair kept are removed at the end.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { writeFileAtomic } from '../../util/fs.js';
import { DEFAULT_DECODE_LIMITS, decodeImage, encodePng, type DecodeLimits } from '../image.js';
import { MEDIA_EXTENSIONS, detectMediaType, type MediaType } from '../media-type.js';
import { probeVideo } from '../video.js';

/** Folder (inside the output folder) that imported media go to. */
export const MEDIA_DIR = 'media';

/** Largest media file accepted (512 MiB): larger ones are almost surely not a single image or clip. */
export const MAX_MEDIA_BYTES = 512 * 1024 ** 2;

/** Hex digits of SHA-256 kept in file names (128 bits: collisions are not a practical concern). */
const HASH_HEX = 32;

/** Types copied as they are; any other image type is re-encoded as PNG. */
const COPIED_IMAGES: readonly MediaType[] = ['png', 'jpeg', 'webp'];

/** A stored media file. */
export interface StoredMedia {
  /** Path relative to the output folder, e.g. `media/3f2a....png`. */
  readonly path: string;
  readonly kind: 'image' | 'video';
  readonly width: number;
  readonly height: number;
}

/**
 * Reads the bytes a cell points to. Cells are strings (paths, made absolute by absolutizeCell), bytes,
 * or `{bytes, path}` structs (bytes win when present, as in Hugging Face datasets).
 */
export function cellBytes(cell: unknown, what: string): { bytes: Uint8Array; origin: string } {
  if (cell === null || cell === undefined || cell === '') throw new InputError(`${what} is missing (empty cell)`);
  if (cell instanceof Uint8Array) {
    if (cell.byteLength === 0) throw new InputError(`${what} is an empty byte string`);
    return { bytes: cell, origin: 'bytes' };
  }
  if (typeof cell === 'string') {
    const p = resolve(cell);
    if (!existsSync(p) || !statSync(p).isFile()) throw new InputError(`${what}: media file ${p} not found; relative paths resolve against the source file's folder`);
    const size = statSync(p).size;
    if (size > MAX_MEDIA_BYTES) throw new InputError(`${what}: '${cell}' is ${size} bytes, over the ${MAX_MEDIA_BYTES}-byte limit`);
    return { bytes: readFileSync(p), origin: cell };
  }
  if (typeof cell === 'object' && !Array.isArray(cell)) {
    const s = cell as { bytes?: unknown; path?: unknown };
    if (s.bytes instanceof Uint8Array && s.bytes.byteLength > 0) return { bytes: s.bytes, origin: typeof s.path === 'string' && s.path ? s.path : 'bytes' };
    if (typeof s.path === 'string' && s.path !== '') return cellBytes(s.path, what);
    throw new InputError(`${what}: the image struct has neither bytes nor a path`);
  }
  throw new InputError(`${what}: expected a path, bytes or a {bytes, path} struct, got ${Array.isArray(cell) ? 'a list' : typeof cell}`);
}

/**
 * Makes relative paths in a media cell absolute against `baseDir` (strings, `{bytes, path}`
 * structs without bytes, and lists of either); bytes pass through.
 * @example absolutizeCell('img/a.png', '/data') // '/data/img/a.png'
 */
export function absolutizeCell(cell: unknown, baseDir: string): unknown {
  if (typeof cell === 'string') {
    if (cell.trim().startsWith('[')) {
      try {
        const list: unknown = JSON.parse(cell); // a JSON list of paths in a CSV cell
        if (Array.isArray(list)) return absolutizeCell(list, baseDir);
      } catch {
        // not a list: a path that starts with '['
      }
    }
    return cell === '' || isAbsolute(cell) ? cell : resolve(baseDir, cell);
  }
  if (Array.isArray(cell)) return cell.map((c) => absolutizeCell(c, baseDir));
  if (cell !== null && typeof cell === 'object' && !(cell instanceof Uint8Array)) {
    const s = cell as { bytes?: unknown; path?: unknown };
    if (!(s.bytes instanceof Uint8Array && s.bytes.byteLength > 0) && typeof s.path === 'string') return { ...s, path: absolutizeCell(s.path, baseDir) };
  }
  return cell;
}

/** Writes media into `OUT/media/` once per content, remembering which files this run created. */
export class MediaStore {
  private readonly byHash = new Map<string, StoredMedia>();
  private readonly created = new Set<string>();

  constructor(
    private readonly outDir: string,
    private readonly limits: DecodeLimits = DEFAULT_DECODE_LIMITS,
  ) {}

  /**
   * Validates and stores one cell. `videoTask` decides whether a GIF is a video (t2v, i2v) or
   * an image (its first frame). Throws InputError starting with `what` when the media is
   * missing, unreadable, too large or of an unknown type.
   * @example await store.put('/data/a.png', 'row 3 chosen', false) // { path: 'media/ab12....png', kind: 'image', ... }
   */
  async put(cell: unknown, what: string, videoTask: boolean): Promise<StoredMedia> {
    const { bytes, origin } = cellBytes(cell, what);
    const hash = createHash('sha256').update(bytes).digest('hex').slice(0, HASH_HEX);
    const key = `${hash}:${videoTask ? 'v' : 'i'}`;
    const known = this.byHash.get(key);
    if (known) return known;
    const type = detectMediaType(bytes);
    if (type === null) throw new InputError(`${what}: '${origin}' is not an image or video (unknown file signature); expected PNG, JPEG, WebP, GIF, BMP, TIFF, MP4 or WebM`);
    const stored = type === 'mp4' || type === 'webm' || (type === 'gif' && videoTask) ? await this.putVideo(bytes, hash, type, what, origin) : await this.putImage(bytes, hash, type, what);
    this.byHash.set(key, stored);
    return stored;
  }

  private async putImage(bytes: Uint8Array, hash: string, type: MediaType, what: string): Promise<StoredMedia> {
    const img = await decodeImage(bytes, what, this.limits); // full decode: catches truncated files, not just bad headers
    const copy = COPIED_IMAGES.includes(type);
    const rel = `${MEDIA_DIR}/${hash}${copy ? MEDIA_EXTENSIONS[type] : '.png'}`;
    this.write(rel, copy ? bytes : encodePng(img));
    return { path: rel, kind: 'image', width: img.width, height: img.height };
  }

  private async putVideo(bytes: Uint8Array, hash: string, type: MediaType, what: string, origin: string): Promise<StoredMedia> {
    const rel = `${MEDIA_DIR}/${hash}${MEDIA_EXTENSIONS[type]}`;
    const fresh = this.write(rel, bytes);
    try {
      const info = await probeVideo(join(this.outDir, rel));
      if (info.width > this.limits.maxWidth || info.height > this.limits.maxHeight) throw new InputError(`video is ${info.width}x${info.height}, over the ${this.limits.maxWidth}x${this.limits.maxHeight} limit`);
      return { path: rel, kind: 'video', width: info.width, height: info.height };
    } catch (err) {
      if (fresh) this.remove(rel);
      if (err instanceof InputError) throw new InputError(`${what}: '${origin}' is not a usable video: ${err.message}`);
      throw err;
    }
  }

  /** Writes a file unless it exists (same name means same content); true when this call created it. */
  private write(rel: string, bytes: Uint8Array): boolean {
    const abs = join(this.outDir, rel);
    if (existsSync(abs)) return false;
    writeFileAtomic(abs, bytes);
    this.created.add(rel);
    return true;
  }

  private remove(rel: string): void {
    rmSync(join(this.outDir, rel), { force: true });
    this.created.delete(rel);
  }

  /** Removes files this run created that `keep` does not list; returns how many were removed. */
  prune(keep: ReadonlySet<string>): number {
    let n = 0;
    for (const rel of [...this.created]) {
      if (!keep.has(rel)) {
        this.remove(rel);
        n++;
      }
    }
    return n;
  }

  /** Files this run created (relative paths). */
  createdFiles(): string[] {
    return [...this.created];
  }
}
