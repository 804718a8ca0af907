/**
 * safetensors read/write: an 8-byte little-endian header length, a JSON header mapping each
 * name to {dtype, shape, data_offsets}, then the raw little-endian tensor bytes. Files are
 * written atomically; a truncated or corrupt file is a CheckpointError naming it. Half-precision
 * tensors (F16, BF16) load as float32; `{ half: true }` stores float32 tensors as F16 (half the
 * bytes, for shipped inference checkpoints).
 */
import { existsSync, readFileSync } from 'node:fs';
import { Float16Array, getFloat16 } from '@petamoriken/float16';
import { CheckpointError } from '../errors.js';
import { fromBytes, type DType, type Tensor } from '../tensor/index.js';
import { writeFileAtomic } from '../util/fs.js';

const DTYPE_TO_ST: Record<DType, string> = { float32: 'F32', float64: 'F64', int64: 'I64', int32: 'I32', uint8: 'U8', bool: 'BOOL' };
const ST_TO_DTYPE: Record<string, DType> = Object.fromEntries(Object.entries(DTYPE_TO_ST).map(([k, v]) => [v, k as DType]));
const ELEMENT_BYTES: Record<DType, number> = { float32: 4, float64: 8, int64: 8, int32: 4, uint8: 1, bool: 1 };
/** safetensors caps the header at 100 MB; anything larger is corrupt. */
const MAX_HEADER_BYTES = 100_000_000;
/** Data starts at an 8-byte aligned offset (the format pads the header with spaces). */
const ALIGN = 8;

/** The largest finite float16. */
const F16_MAX = 65504;

let f16Table: Float32Array | null = null;
/** float16 bit pattern -> float32 value, for all 65536 patterns (built once; a lookup per element is ~30x faster than decoding each). */
function f16ToF32Table(): Float32Array {
  if (f16Table) return f16Table;
  const view = new DataView(new ArrayBuffer(2));
  const t = new Float32Array(65536);
  for (let bits = 0; bits < 65536; bits++) {
    view.setUint16(0, bits, true);
    t[bits] = getFloat16(view, 0, true);
  }
  f16Table = t;
  return t;
}

/** Little-endian half-precision bytes (F16 or BF16) -> float32 bytes. */
function halfToFloat32Bytes(bytes: Uint8Array, kind: 'F16' | 'BF16'): Uint8Array {
  const n = bytes.byteLength / 2;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  if (kind === 'BF16') {
    const u = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) u[i] = view.getUint16(2 * i, true) << 16; // bfloat16 is the top half of a float32
  } else {
    const table = f16ToF32Table();
    for (let i = 0; i < n; i++) out[i] = table[view.getUint16(2 * i, true)]!;
  }
  return new Uint8Array(out.buffer);
}

/** A float32 tensor's values as little-endian F16 bytes (round to nearest even); values beyond float16's range are an error. */
function float32ToF16Bytes(name: string, t: Tensor): Buffer {
  const raw = t.toBytes();
  const f32 = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  for (const v of f32) {
    if (Number.isFinite(v) && Math.abs(v) > F16_MAX) throw new CheckpointError(`tensor '${name}' holds ${v}, beyond float16's range (|x| <= ${F16_MAX}); save it in float32 (without the half option)`);
  }
  const half = new Float16Array(f32);
  return Buffer.from(half.buffer, half.byteOffset, half.byteLength); // platform order: little-endian on every machine Node ships for
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export interface EncodeOptions {
  /** Store float32 tensors as F16 (other dtypes as they are). */
  readonly half?: boolean;
}

/** Serialises named tensors (and string metadata) into safetensors bytes. */
export function encodeSafetensors(tensors: ReadonlyMap<string, Tensor>, metadata: Record<string, string> = {}, opts: EncodeOptions = {}): Buffer {
  const names = [...tensors.keys()].sort();
  const header: Record<string, HeaderEntry | Record<string, string>> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const blobs: Buffer[] = [];
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    const half = opts.half === true && t.dtype === 'float32';
    const bytes = half ? float32ToF16Bytes(name, t) : t.toBytes();
    header[name] = { dtype: half ? 'F16' : DTYPE_TO_ST[t.dtype], shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    blobs.push(bytes);
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  const pad = (ALIGN - ((8 + Buffer.byteLength(json)) % ALIGN)) % ALIGN;
  json += ' '.repeat(pad);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([head, Buffer.from(json, 'utf8'), ...blobs]);
}

/** Parses safetensors bytes; `source` names the file in errors. */
export function decodeSafetensors(buf: Uint8Array, source: string): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  const fail = (why: string): never => {
    throw new CheckpointError(`${source}: not a valid safetensors file (${why}); re-save the checkpoint or point at the right file`);
  };
  if (buf.byteLength < 8) fail(`only ${buf.byteLength} bytes`);
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = Number(view.readBigUInt64LE(0));
  if (n > MAX_HEADER_BYTES || 8 + n > buf.byteLength) fail(`header length ${n} exceeds the file size ${buf.byteLength} (truncated?)`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(view.subarray(8, 8 + n).toString('utf8')) as Record<string, unknown>;
  } catch {
    return fail('header is not JSON');
  }
  const dataStart = 8 + n;
  const dataLen = buf.byteLength - dataStart;
  const tensors = new Map<string, Tensor>();
  let metadata: Record<string, string> = {};
  try {
    for (const [name, raw] of Object.entries(header)) {
      if (name === '__metadata__') {
        metadata = raw as Record<string, string>;
        continue;
      }
      const e = raw as Partial<HeaderEntry>;
      const half = e.dtype === 'F16' || e.dtype === 'BF16' ? e.dtype : null;
      const dtype = half ? 'float32' : ST_TO_DTYPE[String(e.dtype)];
      if (!dtype) fail(`tensor '${name}' has unsupported dtype ${String(e.dtype)} (supported: ${[...Object.keys(ST_TO_DTYPE), 'F16', 'BF16'].join(', ')})`);
      if (!Array.isArray(e.shape) || !Array.isArray(e.data_offsets) || e.data_offsets.length !== 2) fail(`tensor '${name}' lacks shape or data_offsets`);
      const [begin, end] = e.data_offsets as [number, number];
      const numel = (e.shape as number[]).reduce((a, b) => a * b, 1);
      if (end - begin !== numel * (half ? 2 : ELEMENT_BYTES[dtype!])) fail(`tensor '${name}' has ${end - begin} bytes for shape [${(e.shape as number[]).join(', ')}]`);
      if (begin < 0 || end > dataLen) fail(`tensor '${name}' ends at byte ${end} past the data (${dataLen} bytes; truncated?)`);
      const stored = new Uint8Array(buf.buffer, buf.byteOffset + dataStart + begin, end - begin).slice();
      const bytes = half ? halfToFloat32Bytes(stored, half) : stored;
      tensors.set(name, fromBytes(bytes, e.shape as number[], dtype!));
    }
  } catch (err) {
    for (const t of tensors.values()) t.dispose();
    throw err;
  }
  return { tensors, metadata };
}

/** Writes named tensors to `path` atomically. */
export function saveSafetensors(path: string, tensors: ReadonlyMap<string, Tensor>, metadata: Record<string, string> = {}, opts: EncodeOptions = {}): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata, opts));
}

/** Reads a safetensors file (CheckpointError when missing, truncated or corrupt). */
export function loadSafetensors(path: string): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  if (!existsSync(path)) throw new CheckpointError(`${path}: no such checkpoint file`);
  return decodeSafetensors(readFileSync(path), path);
}
