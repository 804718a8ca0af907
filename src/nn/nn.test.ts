/**
 * nn layer: overfitting small problems, every parameter moving under AdamW, safetensors round
 * trips, PyTorch twin checkpoints, corrupt files and atomic checkpoint folders.
 */
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CheckpointError } from '../errors.js';
import { AdamW, cat, F, manualSeed, randint, randn, tensor, tidy, type Tensor } from '../tensor/index.js';
import { Embedding, Linear, LayerNorm, Module, ModuleList, TransformerBlock, decodeSafetensors, encodeSafetensors, loadSafetensors, loadWeights, saveCheckpoint, saveSafetensors } from './index.js';

class TinyMlp extends Module {
  readonly a = this.child('a', new Linear(4, 32));
  readonly b = this.child('b', new Linear(32, 3));
  forward(x: Tensor): Tensor {
    return this.b.forward(this.a.forward(x).gelu());
  }
}

class TinyTransformer extends Module {
  readonly tok = this.child('tok', new Embedding(10, 32));
  readonly pos = this.child('pos', new Embedding(6, 32));
  readonly blocks = this.child('blocks', new ModuleList([new TransformerBlock(32, 4), new TransformerBlock(32, 4)]));
  readonly ln = this.child('ln', new LayerNorm(32));
  readonly head = this.child('head', new Linear(32, 10));
  forward(idx: Tensor): Tensor {
    const [, t] = idx.shape as [number, number];
    let x = this.tok.forward(idx).add(this.pos.forward(tensor(Array.from({ length: t }, (_, i) => i), [t], 'int64')));
    const mask = F.causalMask(t);
    for (const b of this.blocks.items) x = b.forward(x, mask);
    return this.head.forward(this.ln.forward(x));
  }
}

function train(model: Module, lossFn: () => Tensor, steps: number, lr: number): { first: number; last: number } {
  const opt = new AdamW(model.namedParameters(), { lr });
  let first = NaN;
  let last = NaN;
  for (let i = 0; i < steps; i++) {
    last = tidy(() => {
      const l = lossFn();
      l.backward();
      return l.item();
    });
    if (i === 0) first = last;
    opt.step();
    opt.zeroGrad();
  }
  opt.dispose();
  return { first, last };
}

describe('overfitting small problems', () => {
  test('a tiny MLP fits 8 examples', () => {
    manualSeed(0);
    const m = new TinyMlp();
    const x = randn([8, 4]);
    const y = tensor([0, 1, 2, 0, 1, 2, 0, 1], [8], 'int64');
    const { first, last } = train(m, () => F.crossEntropy(m.forward(x), y), 200, 1e-2);
    expect(first).toBeGreaterThan(0.8);
    expect(last).toBeLessThan(0.05);
  });
  test('a tiny causal transformer memorises 8 sequences', () => {
    manualSeed(1);
    const m = new TinyTransformer();
    // distinct first tokens make every continuation unambiguous, so the loss can reach ~0
    const seq = cat([tensor([0, 1, 2, 3, 4, 5, 6, 7], [8, 1], 'int64'), randint(0, 10, [8, 5])], 1);
    const inp = seq.slice(1, 0, 5);
    const tgt = seq.slice(1, 1, 6).reshape(-1);
    const { first, last } = train(m, () => F.crossEntropy(m.forward(inp).reshape(-1, 10), tgt), 150, 3e-3);
    expect(first).toBeGreaterThan(1.5);
    expect(last).toBeLessThan(0.1);
  });
  test('every parameter changes after one AdamW step', () => {
    manualSeed(2);
    const m = new TinyTransformer();
    const before = m.namedParameters().map((p) => ({ name: p.name, v: p.tensor.toList() }));
    const seq = randint(0, 10, [4, 6]);
    train(m, () => F.crossEntropy(m.forward(seq.slice(1, 0, 5)).reshape(-1, 10), seq.slice(1, 1, 6).reshape(-1)), 1, 1e-3);
    const after = m.namedParameters();
    const unchanged = before.filter((b, i) => b.v.every((v, j) => v === after[i]!.tensor.toList()[j])).map((b) => b.name);
    expect(unchanged).toEqual([]);
    expect(before.length).toBe(2 + 2 * 12 + 2 + 2);
  });
});

describe('safetensors and checkpoints', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rd-nn-'));
  test('round trip is bit-exact for every dtype', () => {
    const tensors = new Map<string, Tensor>([
      ['a', randn([3, 5])],
      ['b', randn([2], 'float64')],
      ['c', tensor([1, -7, 9], [3], 'int64')],
      ['d', tensor([0, 255], [2], 'uint8')],
      ['e', tensor([true, false, true], [3], 'bool')],
      ['scalar', tensor([3.5], [])],
    ]);
    const file = join(dir, 'x.safetensors');
    saveSafetensors(file, tensors, { note: 'hi' });
    const { tensors: back, metadata } = loadSafetensors(file);
    expect(metadata.note).toBe('hi');
    for (const [k, t] of tensors) {
      expect(back.get(k)!.dtype).toBe(t.dtype);
      expect(back.get(k)!.shape).toEqual(t.shape);
      expect(Buffer.compare(back.get(k)!.toBytes(), t.toBytes())).toBe(0);
    }
    // the header length is a multiple of 8 so the data is aligned, as the format expects
    const n = Number(readFileSync(file).readBigUInt64LE(0));
    expect((8 + n) % 8).toBe(0);
  });
  test('half precision: F16 stores IEEE binary16 bits (round to nearest even), F16 and BF16 load as float32', () => {
    const values = [1, -2, 65504, 0.1, 2 ** -24, 1 / 3, 0, Infinity];
    const bits = [0x3c00, 0xc000, 0x7bff, 0x2e66, 0x0001, 0x3555, 0x0000, 0x7c00]; // IEEE 754 binary16
    const buf = encodeSafetensors(new Map([['h', tensor(values, [2, 4])], ['i', tensor([7], [1], 'int64')]]), {}, { half: true });
    const n = Number(buf.readBigUInt64LE(0));
    const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; data_offsets: [number, number] }>;
    expect(header.h!.dtype).toBe('F16');
    expect(header.i!.dtype).toBe('I64'); // only float32 tensors are halved
    const data = buf.subarray(8 + n + header.h!.data_offsets[0], 8 + n + header.h!.data_offsets[1]);
    expect(Array.from({ length: 8 }, (_, k) => data.readUInt16LE(2 * k))).toEqual(bits);
    const back = decodeSafetensors(buf, 'half.safetensors').tensors;
    expect(back.get('h')!.dtype).toBe('float32');
    expect(back.get('h')!.shape).toEqual([2, 4]);
    expect(back.get('h')!.toList()).toEqual([1, -2, 65504, 0.0999755859375, 2 ** -24, 0.333251953125, 0, Infinity]);
    expect(back.get('i')!.toList()).toEqual([7]);
    // a BF16 tensor written by another tool: the top 16 bits of each float32
    const bf = Buffer.from(JSON.stringify({ b: { dtype: 'BF16', shape: [3], data_offsets: [0, 6] } }));
    const head = Buffer.alloc(8);
    head.writeBigUInt64LE(BigInt(bf.byteLength));
    const payload = Buffer.alloc(6);
    [0x3f80, 0xc040, 0x3e80].forEach((v, k) => payload.writeUInt16LE(v, 2 * k)); // 1, -3, 0.25
    expect(decodeSafetensors(Buffer.concat([head, bf, payload]), 'bf.safetensors').tensors.get('b')!.toList()).toEqual([1, -3, 0.25]);
    // values float16 cannot hold are refused, not clipped
    expect(() => encodeSafetensors(new Map([['big', tensor([1e5], [1])]]), {}, { half: true })).toThrow(/'big' holds 100000, beyond float16's range/);
  });
  test('a checkpoint written by the PyTorch twin loads and computes the same output', () => {
    const fixture = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'twin-block.safetensors');
    const { tensors } = loadSafetensors(fixture);
    const block = new TransformerBlock(16, 2);
    const names = block.namedParameters().map((p) => p.name);
    expect([...tensors.keys()].filter((k) => !k.startsWith('__test__')).sort()).toEqual([...names].sort());
    for (const p of block.namedParameters()) p.tensor.copyFrom(tensors.get(p.name)!);
    const y = block.forward(tensors.get('__test__.x')!, null);
    const diff = y.sub(tensors.get('__test__.y')!).abs().max().item();
    expect(diff).toBeLessThan(1e-5);
  });
  test('truncated and corrupt files are CheckpointErrors naming the file', () => {
    const good = encodeSafetensors(new Map([['w', randn([64])]]));
    const trunc = join(dir, 'trunc.safetensors');
    writeFileSync(trunc, good.subarray(0, good.byteLength - 10));
    expect(() => loadSafetensors(trunc)).toThrow(CheckpointError);
    expect(() => loadSafetensors(trunc)).toThrow(/trunc\.safetensors.*truncated/);
    const junk = join(dir, 'junk.safetensors');
    writeFileSync(junk, Buffer.from('this is not a checkpoint at all'));
    expect(() => loadSafetensors(junk)).toThrow(/junk\.safetensors/);
    expect(() => decodeSafetensors(new Uint8Array(3), 'tiny.bin')).toThrow(/tiny\.bin/);
    expect(() => loadSafetensors(join(dir, 'missing.safetensors'))).toThrow(/no such checkpoint/);
  });
  test('checkpoint folders are replaced atomically; a failed save leaves the old one intact', () => {
    manualSeed(3);
    const ck = join(dir, 'ck');
    const m = new TinyMlp();
    saveCheckpoint(ck, { config: { kind: 'tiny-mlp' }, model: m });
    const saved = readFileSync(join(ck, 'model.safetensors'));
    const broken = new TinyMlp();
    broken.a.weight.dispose(); // encoding this model throws half-way
    expect(() => saveCheckpoint(ck, { config: { kind: 'tiny-mlp' }, model: broken })).toThrow(/disposed/);
    expect(Buffer.compare(readFileSync(join(ck, 'model.safetensors')), saved)).toBe(0);
    const m2 = new TinyMlp();
    loadWeights(ck, m2);
    expect(m2.a.weight.toList()).toEqual(m.a.weight.toList());
    const m3 = new TinyTransformer();
    expect(() => loadWeights(ck, m3)).toThrow(/missing|shape/);
    expect(existsSync(ck)).toBe(true);
    expect(readdirSync(ck).sort()).toEqual(['config.json', 'model.safetensors']);
  });
});
