/**
 * Helpers for the reward server's socket tests: fixture images as base64, a PNG header that
 * claims any size (decompression-bomb probe), and raw-socket requests for the cases fetch
 * cannot express (malformed bodies, slow bodies, clients that vanish).
 */
import { connect, type Socket } from 'node:net';
import { crc32 } from 'node:zlib';
import { blankImage, encodePng } from '../../src/data/image.js';

/** A base64 PNG of one colour. */
export function pngB64(w: number, h: number, rgb: [number, number, number]): string {
  return encodePng(blankImage(w, h, rgb)).toString('base64');
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A tiny PNG whose header claims `w` x `h` pixels (its image data is a stub). */
export function pngHeaderClaiming(w: number, h: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', Buffer.from([0x78, 0x9c])), chunk('IEND', Buffer.alloc(0))]);
}

/** JSON POST with fetch; returns status, headers and parsed body. */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; json: { [k: string]: unknown } }> {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, headers: r.headers, json: text ? (JSON.parse(text) as { [k: string]: unknown }) : {} };
}

/** Opens a raw TCP connection to the server at `url`. */
export function rawSocket(url: string): Promise<Socket> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(u.port), u.hostname, () => resolve(s));
    s.once('error', reject);
  });
}

/** Everything the socket receives until it closes (or `ms` pass). */
export function readAll(s: Socket, ms: number): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    const t = setTimeout(() => {
      s.destroy();
      resolve(out);
    }, ms);
    s.on('data', (d: Buffer) => (out += d.toString('utf8')));
    s.on('close', () => {
      clearTimeout(t);
      resolve(out);
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 5 ms until it holds; throws after `ms` with `what` in the message. */
export async function waitFor(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(5);
  }
}
