/**
 * Tensor basics: creation, conversion, shapes and their errors, scopes and disposal, no-grad,
 * seeds, and native errors surfacing as exceptions.
 */
import { describe, expect, test } from 'vitest';
import { ShapeError, TensorError } from '../errors.js';
import { arange, emptyCache, F, full, isGradEnabled, liveTensors, manualSeed, memoryStats, noGrad, ones, randn, Rng, scalar, seedAll, setCacheLimit, tensor, tidy, zeros } from './index.js';

describe('creation and conversion', () => {
  test('nested arrays, typed arrays and dtypes round-trip', () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(a.shape).toEqual([2, 3]);
    expect(a.dtype).toBe('float32');
    expect(a.toList()).toEqual([1, 2, 3, 4, 5, 6]);
    const b = tensor(new Float64Array([0.1, 0.2]), [2, 1], 'float64');
    expect(Array.from(b.toArray())).toEqual([0.1, 0.2]);
    expect(tensor([3, -2], [2], 'int64').toList()).toEqual([3, -2]);
    expect(tensor([true, false], [2], 'bool').toList()).toEqual([1, 0]);
    expect(arange(0, 5).toList()).toEqual([0, 1, 2, 3, 4]);
    expect(full([2], 7).toList()).toEqual([7, 7]);
    expect(scalar(2.5).item()).toBe(2.5);
  });
  test('a value count that does not fill the shape is a ShapeError', () => {
    expect(() => tensor([1, 2, 3], [2, 2])).toThrow(ShapeError);
    expect(() => tensor([[1, 2], [3]])).toThrow(/ragged/);
  });
});

describe('shape errors name both shapes; native errors are exceptions, never aborts', () => {
  test('matmul mismatch', () => {
    const err = (() => {
      try {
        ones([2, 3]).matmul(ones([4, 5]));
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(ShapeError);
    expect(String((err as Error).message)).toMatch(/\[2, 3\] and \[4, 5\]/);
  });
  test('broadcast mismatch in add', () => {
    expect(() => ones([2, 3]).add(ones([4]))).toThrow(/\[2, 3\] and \[4\]/);
  });
  test('bad reshape and bad dims raise, and the process survives', () => {
    expect(() => ones([2, 3]).reshape(4, 4)).toThrow(ShapeError);
    expect(() => ones([2]).select(3, 0)).toThrow(/select/);
    expect(() => F.embedding(ones([3, 2]), tensor([5], [1], 'int64'))).toThrow(TensorError);
    expect(ones([1]).add(1).item()).toBe(2);
  });
  test('using a disposed tensor is an error', () => {
    const t = zeros([2]);
    t.dispose();
    expect(() => t.add(1)).toThrow(/disposed/);
    t.dispose(); // idempotent
  });
});

describe('scopes and memory', () => {
  test('tidy frees intermediates and keeps what it returns', () => {
    const before = liveTensors();
    const kept = tidy(() => {
      const a = randn([10, 10]);
      const b = a.matmul(a).relu();
      return { b, list: [b.sum()] };
    });
    expect(liveTensors()).toBe(before + 2);
    expect(kept.b.shape).toEqual([10, 10]);
    kept.b.dispose();
    kept.list[0]!.dispose();
    expect(liveTensors()).toBe(before);
  });
  test('tidy frees everything when the function throws', () => {
    const before = liveTensors();
    expect(() =>
      tidy(() => {
        randn([4]);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(liveTensors()).toBe(before);
  });
  test('nested scopes hand results to the parent', () => {
    const before = liveTensors();
    tidy(() => {
      const inner = tidy(() => ones([2]).mul(3));
      expect(inner.disposed).toBe(false);
    });
    expect(liveTensors()).toBe(before);
  });
});

describe('autograd switches and seeds', () => {
  test('noGrad records no graph and restores the mode', () => {
    const w = ones([2]).requiresGrad_();
    const y = noGrad(() => w.mul(2));
    expect(y.requiresGrad).toBe(false);
    expect(isGradEnabled()).toBe(true);
    expect(w.mul(2).requiresGrad).toBe(true);
  });
  test('manualSeed makes torch sampling repeatable; Rng is repeatable', () => {
    manualSeed(42);
    const a = randn([5]).toList();
    manualSeed(42);
    expect(randn([5]).toList()).toEqual(a);
    const r1 = seedAll(3);
    const r2 = new Rng(3);
    expect([r1.next(), r1.int(0, 100)]).toEqual([r2.next(), r2.int(0, 100)]);
  });
});

describe('the caching allocator', () => {
  test('a full cache gives back idle blocks of old sizes to keep the newest, and stays under its limit', () => {
    emptyCache();
    const mb = 2 ** 20;
    setCacheLimit(3 * mb);
    try {
      // three live 1 MiB blocks (262,144 floats) fill the cache when freed
      [zeros([262144]), zeros([262144]), zeros([262144])].forEach((t) => t.dispose());
      expect(memoryStats().cachedBytes).toBe(3 * mb);
      // a block of a new size (1.5 MiB) evicts old ones rather than being refused
      zeros([393216]).dispose();
      const after = memoryStats().cachedBytes;
      expect(after).toBe(2.5 * mb);
      expect(after).toBeLessThanOrEqual(3 * mb);
      // the newest size is cached: allocating it again takes it from the cache
      const t = zeros([393216]);
      expect(memoryStats().cachedBytes).toBeLessThan(after);
      t.dispose();
    } finally {
      setCacheLimit(2 * 1024 * mb);
      emptyCache();
    }
  });
});
