/**
 * Video I/O: MP4, WebM and GIF read into RGB frames through ffmpeg over pipes (with uniform
 * sampling to N frames), MP4 written through ffmpeg (H.264) and GIF written in-process with
 * gifenc. ffmpeg is found on PATH or through RD_FFMPEG; a missing ffmpeg is a ConfigError that
 * names the install line.
 */
import { spawn } from 'node:child_process';
import { existsSync, renameSync, rmSync, mkdirSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import * as gifencModule from 'gifenc';
import { AppError, ConfigError, InputError } from '../errors.js';
import { tempPathFor, writeFileAtomic } from '../util/fs.js';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits, type RgbImage } from './image.js';

/** How to install ffmpeg, shown whenever it cannot be run. */
export const FFMPEG_INSTALL_HINT =
  'install it with `sudo apt-get install ffmpeg` (Debian/Ubuntu) or `brew install ffmpeg` (macOS), or set RD_FFMPEG to the ffmpeg binary';

/**
 * Most bytes of decoded frames one read may hold (2 GiB); past it, ask for fewer frames
 * (`frames`) or a smaller `size`.
 */
export const MAX_DECODED_BYTES = 2 * 1024 ** 3;

/** Frames per second written when the caller gives none (the world's clips are short). */
export const DEFAULT_FPS = 8;

/** gifenc's functions: named exports under ESM resolution, the default export under Node's CommonJS interop. */
const gifenc = typeof (gifencModule as Partial<typeof gifencModule.default>).quantize === 'function' ? (gifencModule as typeof gifencModule.default) : gifencModule.default;

/** The most colours a GIF palette holds (the format's limit). */
const GIF_MAX_COLORS = 256;

/** The ffmpeg binary: RD_FFMPEG or `ffmpeg` on PATH. */
export function ffmpegBinary(): string {
  return process.env.RD_FFMPEG ?? 'ffmpeg';
}

/** The ffprobe binary: RD_FFPROBE, else the `ffprobe` beside RD_FFMPEG, else `ffprobe` on PATH. */
export function ffprobeBinary(): string {
  if (process.env.RD_FFPROBE) return process.env.RD_FFPROBE;
  const ff = process.env.RD_FFMPEG;
  if (ff && basename(ff).startsWith('ffmpeg')) return join(dirname(ff), basename(ff).replace(/^ffmpeg/, 'ffprobe'));
  return 'ffprobe';
}

interface ToolRun {
  readonly code: number;
  readonly stderr: string;
}

/**
 * Runs a tool, feeding `input` to stdin and streaming stdout to `onData`. A tool that cannot be
 * started (ENOENT, EACCES) becomes a ConfigError with the install line.
 */
function runTool(bin: string, args: readonly string[], onData: (chunk: Buffer) => void, input?: Iterable<Uint8Array>): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    let failed = false;
    child.on('error', (err: NodeJS.ErrnoException) => {
      failed = true;
      if (err.code === 'ENOENT' || err.code === 'EACCES') {
        reject(new ConfigError(`could not run '${bin}' (${err.code}): ffmpeg is needed for video; ${FFMPEG_INSTALL_HINT}`));
      } else reject(new AppError(`could not run '${bin}': ${err.message}`));
    });
    child.stdout.on('data', (c: Buffer) => onData(c));
    child.stderr.on('data', (c: Buffer) => {
      if (stderr.length < 8192) stderr += c.toString('utf8');
    });
    child.stdin.on('error', () => undefined); // ffmpeg may exit before reading all input; its exit code says why
    child.on('close', (code) => {
      if (!failed) resolve({ code: code ?? 1, stderr: stderr.trim() });
    });
    if (input) {
      void (async () => {
        for (const chunk of input) {
          if (!child.stdin.write(chunk)) await new Promise<void>((r) => child.stdin.once('drain', () => r()));
        }
        child.stdin.end();
      })();
    } else child.stdin.end();
  });
}

/** What ffprobe says about a video's first video stream. */
export interface VideoInfo {
  readonly width: number;
  readonly height: number;
  /** Frames (counted packets: exact for GIF, MP4 and WebM without B-frame reordering tricks). */
  readonly frames: number;
  /** Frames per second (average), 0 when unknown. */
  readonly fps: number;
  readonly codec: string;
  readonly container: string;
}

function parseRate(r: unknown): number {
  if (typeof r !== 'string') return 0;
  const [a, b] = r.split('/').map(Number);
  if (a === undefined || !Number.isFinite(a)) return 0;
  if (b === undefined) return a;
  return b > 0 && Number.isFinite(b) ? a / b : 0;
}

/**
 * Probes a video file with ffprobe (size, frame count, fps, codec).
 * @example const { width, height, frames } = await probeVideo('clip.mp4');
 */
export async function probeVideo(path: string): Promise<VideoInfo> {
  if (!existsSync(path)) throw new InputError(`${path}: no such video file`);
  const chunks: Buffer[] = [];
  const args = ['-v', 'error', '-select_streams', 'v:0', '-count_packets', '-show_entries', 'stream=width,height,nb_read_packets,avg_frame_rate,r_frame_rate,codec_name:format=format_name', '-of', 'json', path];
  const run = await runTool(ffprobeBinary(), args, (c) => chunks.push(c));
  if (run.code !== 0) throw new InputError(`${path}: not a readable video (expected MP4, WebM or GIF): ${run.stderr || `ffprobe exit ${run.code}`}`);
  let parsed: { streams?: Record<string, unknown>[]; format?: Record<string, unknown> };
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof parsed;
  } catch {
    throw new InputError(`${path}: ffprobe gave no readable description; is it a video?`);
  }
  const s = parsed.streams?.[0];
  if (!s) throw new InputError(`${path}: has no video stream (expected MP4, WebM or GIF with at least one frame)`);
  const width = Number(s.width);
  const height = Number(s.height);
  const frames = Number(s.nb_read_packets);
  if (!(width > 0 && height > 0 && frames > 0)) throw new InputError(`${path}: video stream has size ${String(s.width)}x${String(s.height)} and ${String(s.nb_read_packets)} frames; expected a non-empty video`);
  const fps = parseRate(s.avg_frame_rate) || parseRate(s.r_frame_rate);
  return { width, height, frames, fps, codec: typeof s.codec_name === 'string' ? s.codec_name : 'unknown', container: typeof parsed.format?.format_name === 'string' ? parsed.format.format_name : 'unknown' };
}

/**
 * The indices of `n` frames sampled uniformly from `total`: the centre of each of `n` equal
 * segments. With fewer frames than asked, frames repeat so that exactly `n` come back.
 * @example sampleIndices(10, 4) // [1, 3, 6, 8]
 */
export function sampleIndices(total: number, n: number): number[] {
  if (!Number.isInteger(total) || total < 1) throw new InputError(`sampleIndices: total must be a positive integer, got ${total}`);
  if (!Number.isInteger(n) || n < 1) throw new InputError(`frames to sample must be a positive integer, got ${n}`);
  return Array.from({ length: n }, (_, i) => Math.min(total - 1, Math.floor(((i + 0.5) * total) / n)));
}

/** Options for reading a video. */
export interface ReadVideoOptions {
  /** Sample exactly this many frames uniformly (segment centres); all frames when absent. */
  readonly frames?: number;
  /** Resize every frame to this size (area filter). */
  readonly size?: { readonly width: number; readonly height: number };
  readonly limits?: DecodeLimits;
}

/** Frames read from a video, with what the file held. */
export interface VideoFrames {
  readonly frames: RgbImage[];
  readonly fps: number;
  /** Frames in the file before sampling. */
  readonly sourceFrames: number;
  /** Indices of the returned frames in the file. */
  readonly indices: number[];
}

/** Decodes frames, keeping those whose index is in `keep` (all when null); returns the count decoded. */
async function decodeFrames(path: string, width: number, height: number, size: ReadVideoOptions['size'], keep: ReadonlySet<number> | null, kept: Map<number, RgbImage>): Promise<number> {
  const frameBytes = width * height * 3;
  const args = ['-v', 'error', '-nostdin', '-i', path, '-map', '0:v:0', '-fps_mode', 'passthrough'];
  if (size) args.push('-vf', `scale=${width}:${height}:flags=area`);
  args.push('-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1');
  let index = 0;
  let pending: Buffer = Buffer.alloc(0);
  const run = await runTool(ffmpegBinary(), args, (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= frameBytes) {
      if (keep === null || keep.has(index)) kept.set(index, { width, height, data: new Uint8Array(pending.subarray(0, frameBytes)) });
      pending = pending.subarray(frameBytes);
      index++;
    }
  });
  if (run.code !== 0) throw new InputError(`${path}: ffmpeg could not decode it (corrupt or unsupported video?): ${run.stderr || `exit ${run.code}`}`);
  return index;
}

/**
 * Reads a video (MP4, WebM, GIF) into RGB frames, optionally sampling exactly `frames` of them
 * uniformly and resizing. GIFs decode with `-fps_mode passthrough` so no frame is duplicated.
 * @example const { frames } = await readVideo('clip.mp4', { frames: 8 });
 */
export async function readVideo(path: string, opts: ReadVideoOptions = {}): Promise<VideoFrames> {
  const info = await probeVideo(path);
  const limits = opts.limits ?? DEFAULT_DECODE_LIMITS;
  const width = opts.size?.width ?? info.width;
  const height = opts.size?.height ?? info.height;
  if (width > limits.maxWidth || height > limits.maxHeight || width * height > limits.maxPixels) {
    throw new InputError(`${path}: frames are ${width}x${height}, over the limit of ${limits.maxWidth}x${limits.maxHeight} and ${limits.maxPixels} pixels; pass a smaller size`);
  }
  const wanted = opts.frames ?? info.frames;
  if (wanted * width * height * 3 > MAX_DECODED_BYTES) {
    throw new InputError(`${path}: ${wanted} frames of ${width}x${height} need more than ${MAX_DECODED_BYTES} bytes; sample fewer frames or resize`);
  }
  let indices = opts.frames === undefined ? null : sampleIndices(info.frames, opts.frames);
  const kept = new Map<number, RgbImage>();
  let decoded = await decodeFrames(path, width, height, opts.size, indices ? new Set(indices) : null, kept);
  if (decoded === 0) throw new InputError(`${path}: ffmpeg decoded no frames; the video is empty or corrupt`);
  if (indices && decoded !== info.frames) {
    // The packet count and the decoded count disagree (rare: dropped or split packets); sample again from what decodes.
    indices = sampleIndices(decoded, opts.frames!);
    kept.clear();
    decoded = await decodeFrames(path, width, height, opts.size, new Set(indices), kept);
  }
  const order = indices ?? Array.from({ length: decoded }, (_, i) => i);
  const frames = order.map((i) => {
    const f = kept.get(i);
    if (!f) throw new InputError(`${path}: frame ${i} did not decode (the file has ${decoded} decodable frames)`);
    return f;
  });
  return { frames, fps: info.fps, sourceFrames: decoded, indices: order };
}

/** Options for writing a video. */
export interface WriteVideoOptions {
  /** Frames per second (default DEFAULT_FPS). */
  readonly fps?: number;
  /** H.264 constant rate factor for MP4: 0 is lossless-ish, 23 is ffmpeg's default. */
  readonly crf?: number;
}

/** The MP4 quality we write by default: visually lossless for training data. */
export const DEFAULT_MP4_CRF = 12;

function checkFrames(frames: readonly RgbImage[], path: string): RgbImage {
  const first = frames[0];
  if (!first) throw new InputError(`${path}: a video needs at least one frame, got none`);
  frames.forEach((f, k) => {
    if (f.width !== first.width || f.height !== first.height) throw new InputError(`${path}: frame ${k} is ${f.width}x${f.height}, expected ${first.width}x${first.height} like frame 0`);
  });
  return first;
}

/** Writes frames as an H.264 MP4 (yuv420p, odd sizes padded to even) through ffmpeg, atomically. */
async function writeMp4(path: string, frames: readonly RgbImage[], fps: number, crf: number): Promise<void> {
  const { width, height } = checkFrames(frames, path);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  const args = ['-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-r', String(fps), '-i', 'pipe:0'];
  args.push('-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2', '-c:v', 'libx264', '-crf', String(crf), '-pix_fmt', 'yuv420p', '-movflags', '+faststart', '-f', 'mp4', tmp);
  try {
    const run = await runTool(ffmpegBinary(), args, () => undefined, frames.map((f) => f.data));
    if (run.code !== 0) throw new AppError(`${path}: ffmpeg could not write the MP4: ${run.stderr || `exit ${run.code}`}`);
    renameSync(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Encodes frames as an animated GIF (a 256-colour palette per frame, looping). */
export function encodeGif(frames: readonly RgbImage[], fps = DEFAULT_FPS): Uint8Array {
  const { width, height } = checkFrames(frames, 'gif');
  const enc = gifenc.GIFEncoder();
  const delay = Math.round(1000 / fps);
  for (const f of frames) {
    const rgba = new Uint8Array(width * height * 4);
    for (let i = 0; i < width * height; i++) {
      rgba[i * 4] = f.data[i * 3]!;
      rgba[i * 4 + 1] = f.data[i * 3 + 1]!;
      rgba[i * 4 + 2] = f.data[i * 3 + 2]!;
      rgba[i * 4 + 3] = 255;
    }
    const palette = gifenc.quantize(rgba, GIF_MAX_COLORS);
    enc.writeFrame(gifenc.applyPalette(rgba, palette), width, height, { palette, delay, repeat: 0 });
  }
  enc.finish();
  return enc.bytes();
}

/**
 * Writes frames as MP4 (ffmpeg, H.264) or GIF (gifenc), chosen by the extension; atomic.
 * @example await writeVideo('out/clip.mp4', frames, { fps: 8 });
 */
export async function writeVideo(path: string, frames: readonly RgbImage[], opts: WriteVideoOptions = {}): Promise<void> {
  const fps = opts.fps ?? DEFAULT_FPS;
  if (!(fps > 0)) throw new InputError(`fps must be positive, got ${fps}`);
  const ext = extname(path).toLowerCase();
  if (ext === '.gif') return writeFileAtomic(path, encodeGif(frames, fps));
  if (ext === '.mp4') return writeMp4(path, frames, fps, opts.crf ?? DEFAULT_MP4_CRF);
  throw new InputError(`${path}: cannot write '${ext || '(no extension)'}' video; use a .mp4 or .gif path`);
}
