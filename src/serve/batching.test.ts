/** Unit tests of the dynamic batcher: grouping, waiting, queue bounds, deadlines, cancellation, draining. */
import { describe, expect, it } from 'vitest';
import type { HttpError } from '../errors.js';
import { CancelledError, ClosingError, DeadlineError, DynamicBatcher, QueueFullError } from './batching.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function recorder(delayMs = 0) {
  const batches: number[][] = [];
  const run = async (xs: number[]): Promise<number[]> => {
    batches.push([...xs]);
    if (delayMs) await sleep(delayMs);
    return xs.map((x) => x * 10);
  };
  return { batches, run };
}

describe('DynamicBatcher', () => {
  it('groups concurrent submissions into one batch and keeps order', async () => {
    const r = recorder();
    const b = new DynamicBatcher(r.run, { maxBatch: 8, maxWaitMs: 20, maxQueue: 100, timeoutMs: 0 });
    const out = await Promise.all([1, 2, 3].map((x) => b.submit(x)));
    expect(out).toEqual([10, 20, 30]);
    expect(r.batches).toEqual([[1, 2, 3]]);
  });

  it('runs a full batch at once without waiting for maxWaitMs', async () => {
    const r = recorder();
    const b = new DynamicBatcher(r.run, { maxBatch: 4, maxWaitMs: 10_000, maxQueue: 100, timeoutMs: 0 });
    const t0 = performance.now();
    await b.submitMany([1, 2, 3, 4]);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(r.batches).toEqual([[1, 2, 3, 4]]);
  });

  it('splits work into batches of at most maxBatch, one batch running at a time', async () => {
    let running = 0;
    let most = 0;
    const sizes: number[] = [];
    const b = new DynamicBatcher(
      async (xs: number[]) => {
        running++;
        most = Math.max(most, running);
        sizes.push(xs.length);
        await sleep(5);
        running--;
        return xs;
      },
      { maxBatch: 3, maxWaitMs: 1, maxQueue: 100, timeoutMs: 0 },
    );
    const out = await b.submitMany([1, 2, 3, 4, 5, 6, 7]);
    expect(out).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(sizes).toEqual([3, 3, 1]);
    expect(most).toBe(1);
  });

  it('with maxBatch 1 runs every item alone (batching off)', async () => {
    const r = recorder();
    const b = new DynamicBatcher(r.run, { maxBatch: 1, maxWaitMs: 5, maxQueue: 100, timeoutMs: 0 });
    await Promise.all([1, 2, 3].map((x) => b.submit(x)));
    expect(r.batches).toEqual([[1], [2], [3]]);
  });

  it('refuses work beyond maxQueue with QueueFullError (429) and a Retry-After', async () => {
    const r = recorder(50);
    const b = new DynamicBatcher(r.run, { maxBatch: 2, maxWaitMs: 0, maxQueue: 3, timeoutMs: 0 });
    const first = b.submitMany([1, 2]); // starts running at once
    await sleep(5);
    const queued = b.submitMany([3, 4, 5]); // fills the queue
    const err = await b.submitMany([6]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueueFullError);
    expect((err as QueueFullError).status).toBe(429);
    expect((err as QueueFullError).retryAfterS).toBeGreaterThanOrEqual(1);
    expect((err as Error).message).toMatch(/queue is full \(3 waiting, limit 3/);
    expect(await first).toEqual([10, 20]);
    expect(await queued).toEqual([30, 40, 50]);
  });

  it('refuses a request larger than the whole queue with 400 (retrying cannot help)', async () => {
    const b = new DynamicBatcher((xs: number[]) => Promise.resolve(xs), { maxBatch: 2, maxWaitMs: 0, maxQueue: 3, timeoutMs: 0 });
    const err = (await b.submitMany([1, 2, 3, 4]).catch((e: unknown) => e)) as HttpError;
    expect(err).not.toBeInstanceOf(QueueFullError);
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/holds 4 queries, more than the server's queue \(3\); split it/);
  });

  it('rejects a submission past its deadline with DeadlineError and drops it from the queue', async () => {
    const r = recorder(80);
    const b = new DynamicBatcher(r.run, { maxBatch: 1, maxWaitMs: 0, maxQueue: 10, timeoutMs: 30 });
    const a = b.submit(1).catch((e: unknown) => e);
    const c = b.submit(2).catch((e: unknown) => e);
    expect(await a).toBeInstanceOf(DeadlineError);
    expect(await c).toBeInstanceOf(DeadlineError);
    await sleep(120);
    expect(r.batches).toEqual([[1]]); // item 2 never ran
    expect(b.depth).toBe(0);
  });

  it('drops queued work when its signal aborts (client went away)', async () => {
    const r = recorder(30);
    const b = new DynamicBatcher(r.run, { maxBatch: 1, maxWaitMs: 0, maxQueue: 10, timeoutMs: 0 });
    const running = b.submit(1);
    const ac = new AbortController();
    const gone = b.submit(2, ac.signal).catch((e: unknown) => e);
    ac.abort();
    expect(await gone).toBeInstanceOf(CancelledError);
    expect(await running).toBe(10);
    await sleep(40);
    expect(r.batches).toEqual([[1]]);
  });

  it('a failing batch rejects its own items only', async () => {
    let calls = 0;
    const b = new DynamicBatcher(
      async (xs: number[]) => {
        calls++;
        await sleep(1);
        if (xs.includes(-1)) throw new Error('boom');
        return xs;
      },
      { maxBatch: 1, maxWaitMs: 0, maxQueue: 10, timeoutMs: 0 },
    );
    const bad = b.submit(-1).catch((e: unknown) => e);
    const good = b.submit(5);
    expect(((await bad) as Error).message).toBe('boom');
    expect(await good).toBe(5);
    expect(calls).toBe(2);
  });

  it('drain finishes queued and running work, then refuses new work', async () => {
    const r = recorder(10);
    const b = new DynamicBatcher(r.run, { maxBatch: 2, maxWaitMs: 1000, maxQueue: 10, timeoutMs: 0 });
    const p = b.submitMany([1, 2, 3]);
    await b.drain();
    expect(await p).toEqual([10, 20, 30]);
    await expect(b.submit(4)).rejects.toBeInstanceOf(ClosingError);
  });

  it('reports each batch to onBatch', async () => {
    const events: number[] = [];
    const b = new DynamicBatcher((xs: number[]) => Promise.resolve(xs), { maxBatch: 4, maxWaitMs: 0, maxQueue: 10, timeoutMs: 0 }, (e) => events.push(e.size));
    await b.submitMany([1, 2, 3, 4, 5]);
    expect(events).toEqual([4, 1]);
  });

  it('checks its options', () => {
    const run = (xs: number[]): Promise<number[]> => Promise.resolve(xs);
    expect(() => new DynamicBatcher(run, { maxBatch: 0 })).toThrow(/maxBatch must be an integer >= 1, got 0/);
    expect(() => new DynamicBatcher(run, { maxQueue: 0 })).toThrow(/maxQueue/);
  });
});
