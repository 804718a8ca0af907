/**
 * Media type detection from the first bytes of a file (magic numbers), so that import, export
 * and stats treat a PNG named `.jpg` or an MP4 without extension correctly.
 */
import { closeSync, openSync, readSync } from 'node:fs';

/** Container formats rewarddance recognises. */
export const MEDIA_TYPES = ['png', 'jpeg', 'webp', 'gif', 'bmp', 'tiff', 'mp4', 'webm'] as const;
export type MediaType = (typeof MEDIA_TYPES)[number];

/** Types that hold moving pictures (GIF counts as video where a task is t2v or i2v). */
export const VIDEO_TYPES: readonly MediaType[] = ['mp4', 'webm', 'gif'];

/** The file extension each type is written with. */
export const MEDIA_EXTENSIONS: Readonly<Record<MediaType, string>> = {
  png: '.png',
  jpeg: '.jpg',
  webp: '.webp',
  gif: '.gif',
  bmp: '.bmp',
  tiff: '.tiff',
  mp4: '.mp4',
  webm: '.webm',
};

/** Bytes needed to recognise every type (MP4's `ftyp` box sits at offset 4). */
export const SNIFF_BYTES = 16;

function startsWith(b: Uint8Array, sig: readonly number[], at = 0): boolean {
  if (b.length < at + sig.length) return false;
  return sig.every((x, i) => b[at + i] === x);
}

const ASCII = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

/**
 * The media type of `bytes` from its signature, or null when unknown.
 * @example detectMediaType(readFileSync('a.png')) // 'png'
 */
export function detectMediaType(bytes: Uint8Array): MediaType | null {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, ASCII('RIFF')) && startsWith(bytes, ASCII('WEBP'), 8)) return 'webp';
  if (startsWith(bytes, ASCII('GIF87a')) || startsWith(bytes, ASCII('GIF89a'))) return 'gif';
  if (startsWith(bytes, ASCII('BM'))) return 'bmp';
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  if (startsWith(bytes, ASCII('ftyp'), 4)) return 'mp4';
  if (startsWith(bytes, [0x1a, 0x45, 0xdf, 0xa3])) return 'webm';
  return null;
}

/**
 * The media type of a file from its first bytes (only those are read), or null.
 * @example detectFileType('clip.mp4') // 'mp4'
 */
export function detectFileType(path: string): MediaType | null {
  const fd = openSync(path, 'r');
  try {
    const buf = new Uint8Array(SNIFF_BYTES);
    const n = readSync(fd, buf, 0, SNIFF_BYTES, 0);
    return detectMediaType(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
}

/** True for types that are videos (MP4, WebM, GIF). */
export function isVideoType(t: MediaType): boolean {
  return VIDEO_TYPES.includes(t);
}
