/**
 * The reward server over real sockets on 127.0.0.1 with deterministic test-double models:
 * routes and shapes, bad input of every kind, limits, auth, batching across clients, a full
 * queue, slow and vanishing clients, graceful close under load, and the official openai
 * client and rewarddance's own remote backend against /v1/chat/completions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { buildServer, type RewardServer } from '../../src/serve/app.js';
import { POISON_PROMPT, TestChatModel, TestRewardModel, testReward } from '../../src/serve/test-models.js';
import { blankImage, imageMedia } from '../../src/data/image.js';
import { createRemoteRewardModel } from '../../src/rewards/remote.js';
import { pngB64, pngHeaderClaiming, post, rawSocket, readAll, sleep, waitFor } from './serve-helpers.js';

const BRIGHT = pngB64(8, 8, [230, 230, 230]);
const DARK = pngB64(8, 8, [20, 20, 20]);

describe('reward server: routes, shapes and bad input', () => {
  let server: RewardServer;
  let url: string;
  const pairwise = new TestRewardModel({ id: 'tiny-vlm', mode: 'pairwise' });
  const pointwise = new TestRewardModel({ id: 'rm-point' });

  beforeAll(async () => {
    server = await buildServer({
      models: [
        { id: 'tiny-vlm', reward: pairwise, chat: new TestChatModel({ id: 'tiny-vlm' }) },
        { id: 'rm-point', reward: pointwise },
      ],
      batching: { maxBatch: 16, maxWaitMs: 2, maxQueue: 256, timeoutMs: 5000 },
      bodyLimitBytes: 256 * 1024,
      media: { maxFrames: 4 },
    });
    url = await server.listen();
  });
  afterAll(() => server.close());

  it('answers /healthz and lists models the OpenAI way', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(`${url}/healthz`)).json()).toMatchObject({ status: 'ok', models: ['tiny-vlm', 'rm-point'] });
    const models = (await (await fetch(`${url}/v1/models`)).json()) as { object: string; data: { id: string; object: string }[] };
    expect(models.object).toBe('list');
    expect(models.data.map((m) => [m.id, m.object])).toEqual([['tiny-vlm', 'model'], ['rm-point', 'model']]);
    const missing = await fetch(`${url}/v1/models/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'model_not_found', type: 'invalid_request_error' } });
  });

  it('scores items with the model\'s numbers, per-item errors, and debiasing', async () => {
    const r = await post(`${url}/v1/rewards`, {
      model: 'tiny-vlm',
      items: [
        { task: 't2i', prompt: 'a cube', image: BRIGHT, reference: DARK },
        { task: 't2i', prompt: 'a cube', image: 'bm90IGFuIGltYWdl' },
        { task: 't2i', prompt: 'a cube', image: BRIGHT, reference: DARK, debias: true, cot: 'decision-first' },
        { task: 't2v', prompt: 'a cube', image: [DARK, BRIGHT], reference: [DARK, DARK] },
      ],
    });
    expect(r.status).toBe(200);
    const results = r.json.results as { reward: number | null; error?: string; positionConsistent?: boolean; rationale?: string }[];
    const want = testReward({ task: 't2i', prompt: 'a cube', candidate: imageMedia(blankImage(8, 8, [230, 230, 230])), reference: imageMedia(blankImage(8, 8, [20, 20, 20])) }, 'pairwise');
    expect(results[0]!.reward).toBeCloseTo(want.reward, 12);
    expect(results[1]!.reward).toBeNull();
    expect(results[1]!.error).toMatch(/items\[1\]\.image: not a readable image/);
    expect(results[2]!.positionConsistent).toBe(true);
    expect(results[2]!.reward).toBeGreaterThan(0.5);
    expect(results[2]!.rationale).toMatch(/test double/);
    expect(results[3]!.reward).toBeGreaterThan(0.5);
    expect(r.json.model).toBe('tiny-vlm');
  });

  it('isolates a model failure to the item that caused it', async () => {
    const r = await post(`${url}/v1/rewards`, { model: 'rm-point', items: [{ task: 't2i', prompt: 'fine', image: BRIGHT }, { task: 't2i', prompt: POISON_PROMPT, image: BRIGHT }] });
    const results = r.json.results as { reward: number | null; error?: string }[];
    expect(r.status).toBe(200);
    expect(results[0]!.reward).toBeGreaterThan(0.5);
    expect(results[1]!.error).toMatch(/the model failed on this item: test double: poisoned prompt/);
  });

  it('refuses debiasing on a pointwise model per item', async () => {
    const r = await post(`${url}/v1/rewards`, { model: 'rm-point', items: [{ task: 't2i', prompt: 'x', image: BRIGHT, reference: DARK, debias: true }] });
    expect((r.json.results as { error: string }[])[0]!.error).toMatch(/debias needs a pairwise model/);
  });

  it('answers malformed JSON, wrong types, missing fields and unknown models with clear 4xx', async () => {
    const bad = await post(`${url}/v1/rewards`, '{"items": [');
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: { type: 'invalid_request_error', code: 'invalid_json' } });
    expect((bad.json.error as { message: string }).message).toMatch(/not valid JSON/);

    const wrongType = await post(`${url}/v1/rewards`, { items: [{ task: 't2i', prompt: 5, image: BRIGHT }] });
    expect(wrongType.status).toBe(400);
    expect((wrongType.json.error as { message: string }).message).toMatch(/prompt/);

    const missing = await post(`${url}/v1/rewards`, { items: [{ task: 't2i', image: BRIGHT }] });
    expect(missing.status).toBe(400);
    expect((missing.json.error as { message: string }).message).toMatch(/prompt/);

    const noItems = await post(`${url}/v1/rewards`, {});
    expect(noItems.status).toBe(400);
    expect((noItems.json.error as { message: string }).message).toMatch(/items/);

    const task = await post(`${url}/v1/rewards`, { items: [{ task: 'image', prompt: 'x', image: BRIGHT }] });
    expect(task.status).toBe(400);

    const unknown = await post(`${url}/v1/rewards`, { model: 'nope', items: [{ task: 't2i', prompt: 'x', image: BRIGHT }] });
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ error: { code: 'model_not_found', param: 'model' } });

    const route = await fetch(`${url}/v2/whatever`);
    expect(route.status).toBe(404);

    const media = await fetch(`${url}/v1/rewards`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<items/>' });
    expect(media.status).toBe(415);
  });

  it('reports corrupt, truncated, bomb-sized and not-base64 images, and too many frames, per item', async () => {
    const png = Buffer.from(BRIGHT, 'base64');
    const truncated = png.subarray(0, png.length - 20).toString('base64');
    const bomb = pngHeaderClaiming(20000, 20000).toString('base64');
    const t0 = performance.now();
    const r = await post(`${url}/v1/rewards`, {
      items: [
        { task: 't2i', prompt: 'x', image: Buffer.from('garbage bytes, not an image').toString('base64'), reference: DARK },
        { task: 't2i', prompt: 'x', image: truncated, reference: DARK },
        { task: 't2i', prompt: 'x', image: bomb, reference: DARK },
        { task: 't2i', prompt: 'x', image: 'not base64 at all!', reference: DARK },
        { task: 't2v', prompt: 'x', image: [DARK, DARK, DARK, DARK, DARK], reference: DARK },
        { task: 't2i', prompt: 'x', image: BRIGHT, reference: DARK },
      ],
    });
    expect(performance.now() - t0).toBeLessThan(2000); // the bomb is refused from its header
    expect(r.status).toBe(200);
    const errors = (r.json.results as { error?: string }[]).map((x) => x.error ?? 'ok');
    expect(errors[0]).toMatch(/items\[0\]\.image: not a readable image/);
    expect(errors[1]).toMatch(/items\[1\]\.image: image could not be decoded \(corrupt or truncated\?\)/);
    expect(errors[2]).toMatch(/items\[2\]\.image: image is 20000x20000, over the limit/);
    expect(errors[3]).toMatch(/not valid base64/);
    expect(errors[4]).toMatch(/5 frames, over the limit of 4/);
    expect(errors[5]).toBe('ok');
  });

  it('refuses oversized bodies with 413 and keeps serving', async () => {
    const big = 'A'.repeat(300 * 1024);
    const r = await post(`${url}/v1/rewards`, { items: [{ task: 't2i', prompt: 'x', image: big }] });
    expect(r.status).toBe(413);
    expect(r.json).toMatchObject({ error: { code: 'body_too_large' } });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('batches concurrent clients together', async () => {
    const before = pointwise.batchSizes.length;
    await Promise.all(Array.from({ length: 12 }, (_, i) => post(`${url}/v1/rewards`, { model: 'rm-point', items: [{ task: 't2i', prompt: `p${i}`, image: BRIGHT }] })));
    const sizes = pointwise.batchSizes.slice(before);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(12);
    expect(Math.max(...sizes)).toBeGreaterThan(1);
  });

  it('selects Best-of-N and runs tournaments through the batcher', async () => {
    const mid = pngB64(8, 8, [128, 128, 128]);
    const bon = await post(`${url}/v1/select`, { model: 'rm-point', task: 't2i', prompt: 'x', candidates: [DARK, BRIGHT, mid] });
    expect(bon.status).toBe(200);
    expect(bon.json).toMatchObject({ model: 'rm-point', method: 'pointwise', best: 1, queries: 3 });
    expect((bon.json.ranking as { index: number }[]).map((r) => r.index)).toEqual([1, 2, 0]);
    const rr = await post(`${url}/v1/select`, { model: 'tiny-vlm', method: 'round-robin', task: 't2i', prompt: 'x', candidates: [mid, DARK, BRIGHT] });
    expect(rr.json).toMatchObject({ method: 'round-robin', best: 2, wins: [1, 0, 2], queries: 6, positionConsistency: 1 });
    const ko = await post(`${url}/v1/select`, { model: 'tiny-vlm', method: 'knockout', task: 't2i', prompt: 'x', candidates: [mid, DARK, BRIGHT, DARK] });
    expect(ko.json).toMatchObject({ method: 'knockout', best: 2 });
    const pointTour = await post(`${url}/v1/select`, { model: 'rm-point', method: 'round-robin', task: 't2i', prompt: 'x', candidates: [mid, DARK] });
    expect(pointTour.status).toBe(400);
    expect((pointTour.json.error as { message: string }).message).toMatch(/round robin compares candidates in pa/);
  });

  it('serves OpenAI chat completions to the official openai client', async () => {
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const c = await client.chat.completions.create({
      model: 'tiny-vlm',
      messages: [
        { role: 'system', content: 'Answer yes or no.' },
        { role: 'user', content: [{ type: 'text', text: 'Is this image bright?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${BRIGHT}` } }] },
      ],
      max_tokens: 1,
      logprobs: true,
      top_logprobs: 3,
      temperature: 0,
    });
    expect(c.object).toBe('chat.completion');
    expect(c.model).toBe('tiny-vlm');
    expect(c.choices[0]!.message.content).toBe('yes');
    expect(c.choices[0]!.finish_reason).toBe('stop');
    const top = c.choices[0]!.logprobs!.content![0]!.top_logprobs;
    expect(top.map((t) => t.token)).toEqual(['yes', 'no', 'Yes']);
    expect(Math.exp(top[0]!.logprob)).toBeGreaterThan(0.5);
    expect(c.usage!.completion_tokens).toBe(1);

    await expect(client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
    await expect(client.chat.completions.create({ model: 'rm-point', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 400 });
    await expect(
      client.chat.completions.create({ model: 'tiny-vlm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://example.com/a.png' } }] }] }),
    ).rejects.toThrow(/only base64 data URLs/);
  });

  it("serves rewarddance's own remote reward backend", async () => {
    const remote = createRemoteRewardModel(`${url}/v1?model=tiny-vlm&mode=pointwise`, { maxRetries: 0 });
    const [bright, dark] = await remote.score([
      { task: 't2i', prompt: 'a cube', candidate: imageMedia(blankImage(8, 8, [230, 230, 230])) },
      { task: 't2i', prompt: 'a cube', candidate: imageMedia(blankImage(8, 8, [20, 20, 20])) },
    ]);
    expect(bright!.reward).toBeGreaterThan(0.5);
    expect(dark!.reward).toBeLessThan(0.5);
  });

  it('exposes Prometheus metrics', async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toMatch(/^rewarddance_requests_total\{route="\/v1\/rewards",status="200"\} \d+$/m);
    expect(text).toMatch(/^rewarddance_request_duration_seconds_bucket\{route="\/v1\/rewards",le="\+Inf"\} \d+$/m);
    expect(text).toMatch(/^rewarddance_batch_size_bucket\{model="rm-point",le="1"\} \d+$/m);
    expect(text).toMatch(/^rewarddance_queue_depth\{model="tiny-vlm"\} 0$/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d+$/m);
  });
});

describe('reward server: load, faults and shutdown', () => {
  it('answers a full queue with 429 and Retry-After, and recovers', async () => {
    const model = new TestRewardModel({ cost: { fixedMs: 60, perItemMs: 0, kind: 'sleep' } });
    const server = await buildServer({ models: [{ id: 'slow', reward: model }], batching: { maxBatch: 1, maxWaitMs: 0, maxQueue: 2, timeoutMs: 5000 } });
    const url = await server.listen();
    try {
      const body = { items: [{ task: 't2i', prompt: 'x', image: BRIGHT }] };
      const answers = await Promise.all(Array.from({ length: 8 }, () => post(`${url}/v1/rewards`, body)));
      const limited = answers.filter((a) => a.status === 429);
      expect(limited.length).toBeGreaterThan(0);
      expect(answers.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(3);
      expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(limited[0]!.json).toMatchObject({ error: { type: 'rate_limit_error', code: 'rate_limit_exceeded' } });
      expect((await post(`${url}/v1/rewards`, body)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('times out work that waits too long with 503', async () => {
    const model = new TestRewardModel({ cost: { fixedMs: 150, perItemMs: 0, kind: 'sleep' } });
    const server = await buildServer({ models: [{ id: 'slow', reward: model }], batching: { maxBatch: 1, maxWaitMs: 0, maxQueue: 8, timeoutMs: 50 } });
    const url = await server.listen();
    try {
      const r = await post(`${url}/v1/rewards`, { items: [{ task: 't2i', prompt: 'x', image: BRIGHT }] });
      expect(r.status).toBe(503);
      expect(r.json).toMatchObject({ error: { code: 'timeout' } });
      expect(r.headers.get('retry-after')).toBe('1');
    } finally {
      await server.close();
    }
  });

  it('answers slow partial bodies with 408 and keeps serving', async () => {
    const server = await buildServer({ models: [{ id: 'm', reward: new TestRewardModel() }], bodyTimeoutMs: 300 });
    const url = await server.listen();
    try {
      const s = await rawSocket(url);
      s.write('POST /v1/rewards HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"items": [');
      const t0 = performance.now();
      const answer = await readAll(s, 5000);
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
      expect(performance.now() - t0).toBeLessThan(3000);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('drops the queued work of clients that disconnect, and keeps serving', async () => {
    const model = new TestRewardModel({ cost: { fixedMs: 300, perItemMs: 0, kind: 'sleep' } });
    const server = await buildServer({ models: [{ id: 'm', reward: model }], batching: { maxBatch: 1, maxWaitMs: 0, maxQueue: 8, timeoutMs: 5000 } });
    const url = await server.listen();
    try {
      const body = JSON.stringify({ items: [{ task: 't2i', prompt: 'x', image: BRIGHT }] });
      const first = post(`${url}/v1/rewards`, body); // occupies the model for 300 ms
      await waitFor(() => model.batchSizes.length === 1, 'the first request to run');
      const sockets = await Promise.all([1, 2, 3].map(() => rawSocket(url)));
      for (const s of sockets) s.write(`POST /v1/rewards HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      await waitFor(() => server.registry.queueDepth() === 3, 'three queued requests');
      for (const s of sockets) s.destroy();
      await waitFor(() => server.registry.queueDepth() === 0, 'the queue to empty after the clients left', 1000);
      expect(model.batchSizes).toEqual([1]);
      // A client that vanishes halfway through sending its body.
      const half = await rawSocket(url);
      half.write(`POST /v1/rewards HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 40)}`);
      await sleep(10);
      half.destroy();
      expect((await first).status).toBe(200);
      expect((await post(`${url}/v1/rewards`, body)).status).toBe(200);
      expect(model.batchSizes).toEqual([1, 1]); // the vanished clients' items never ran
    } finally {
      await server.close();
    }
  });

  it('closes gracefully under load: in-flight requests finish, then the model closes', async () => {
    const model = new TestRewardModel({ cost: { fixedMs: 40, perItemMs: 1, kind: 'sleep' } });
    const server = await buildServer({ models: [{ id: 'm', reward: model }], batching: { maxBatch: 8, maxWaitMs: 5, maxQueue: 256, timeoutMs: 10_000 } });
    const url = await server.listen();
    const body = { items: [{ task: 't2i', prompt: 'x', image: BRIGHT }] };
    let answered = 0;
    const inFlight = Array.from({ length: 24 }, () => post(`${url}/v1/rewards`, body).finally(() => answered++));
    // Close once every request has reached the server (queued or running): that is in-flight work.
    const received = (): number => model.batchSizes.reduce((a, b) => a + b, 0) + server.registry.queueDepth();
    await waitFor(() => received() === 24, 'all 24 requests to reach the server');
    expect(answered).toBeLessThan(24); // work is still in flight when close starts
    const closed = server.close();
    const answers = await Promise.all(inFlight);
    await closed;
    expect(answers.map((a) => a.status)).toEqual(new Array(24).fill(200));
    expect(model.closed).toBe(true);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it('requires the bearer token when one is set (health stays open)', async () => {
    const server = await buildServer({ models: [{ id: 'm', reward: new TestRewardModel() }], token: 's3cret' });
    const url = await server.listen();
    try {
      const body = { items: [{ task: 't2i', prompt: 'x', image: BRIGHT }] };
      const none = await post(`${url}/v1/rewards`, body);
      expect(none.status).toBe(401);
      expect(none.json).toMatchObject({ error: { type: 'authentication_error' } });
      expect((await post(`${url}/v1/rewards`, body, { authorization: 'Bearer wrong' })).status).toBe(401);
      expect((await post(`${url}/v1/rewards`, body, { authorization: 'Bearer s3cret' })).status).toBe(200);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect((await fetch(`${url}/metrics`)).status).toBe(401);
    } finally {
      await server.close();
    }
  });
});
