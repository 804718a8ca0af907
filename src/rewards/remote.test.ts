import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { imageMedia, videoMedia } from '../data/image.js';
import { HttpError } from '../errors.js';
import { contractImage, rewardModelContract } from './contract.js';
import { apiRoot, backoffDelay, createRemoteRewardModel, parseRemoteSpec, rewardFromResponse } from './remote.js';
import { startReplayServer, syntheticJudge, type ReplayServer, type ReplayStep } from './replay-server.js';
import { QueryError, scoreSettled } from './settle.js';
import type { RewardQuery } from './types.js';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../test/fixtures/vllm/${name}`, import.meta.url), 'utf8')) as unknown;
const p = (lps: number[]): number => lps.reduce((s, l) => s + Math.exp(l), 0);

const candidate = imageMedia(contractImage(1));
const reference = imageMedia(contractImage(2));
const query: RewardQuery = { task: 't2i', prompt: 'a red circle', candidate, reference, criteria: 'alignment' };
/** Fast settings so fault tests finish in milliseconds. */
const FAST = { backoffMs: 1, maxBackoffMs: 4, timeoutMs: 2_000 };

let server: ReplayServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});
async function serve(script: ReplayStep[], respond?: (body: unknown, n: number) => ReplayStep): Promise<ReplayServer> {
  server = await startReplayServer({ script, ...(respond ? { respond } : {}), models: ['Qwen/Qwen2-VL-7B-Instruct'] });
  return server;
}

describe('rewardFromResponse on vLLM-shaped fixtures', () => {
  it('CoT off: sums Yes/yes/ Yes/YES against No/no', () => {
    const r = rewardFromResponse(fixture('answer-yes.json'), 'off', 'u');
    const yes = p([-0.10536, -4.60517, -5.29832, -7.1309]);
    const no = p([-2.59027, -8.11173]);
    expect(r.reward).toBeCloseTo(yes / (yes + no), 9);
    expect(r.pYesVocab).toBeCloseTo(yes, 9);
    expect(r.rationale).toBeUndefined();
  });
  it('skips a leading newline', () => {
    const r = rewardFromResponse(fixture('answer-no-leading-newline.json'), 'off', 'u');
    expect(r.reward).toBeCloseTo(p([-1.83258, -7.6009]) / p([-1.83258, -7.6009, -0.22314, -4.1997, -5.52146]), 9);
  });
  it('reason-first reads the token after "Answer:" and keeps the rationale', () => {
    const r = rewardFromResponse(fixture('reason-first.json'), 'reason-first', 'u');
    expect(r.reward).toBeCloseTo(p([-0.35667, -3.50656]) / p([-0.35667, -3.50656, -1.20397, -4.60517]), 9);
    expect(r.rationale).toMatch(/^The circle in the candidate is red/);
  });
  it('decision-first reads the first token, rationale after', () => {
    const r = rewardFromResponse(fixture('decision-first.json'), 'decision-first', 'u');
    expect(r.reward).toBeCloseTo(p([-0.91629, -5.5]) / p([-0.91629, -5.5, -0.51083, -5.0]), 9);
    expect(r.rationale).toBe('The prompt asks for two squares; the candidate shows one.');
  });
  it('says what is wrong with text without logprobs or without yes/no', () => {
    expect(() => rewardFromResponse(fixture('no-logprobs.json'), 'off', 'u')).toThrow(/answered text \("Yes"\) without logprobs.*--max-logprobs/);
    expect(() => rewardFromResponse(fixture('no-yes-no.json'), 'off', 'u')).toThrow(/no yes\/no token among the 5 top_logprobs.*"The"/);
    expect(() => rewardFromResponse({ object: 'list' }, 'off', 'u')).toThrow(/without choices/);
  });
});

describe('spec parsing', () => {
  it('normalises the API root and reads parameters', () => {
    expect(apiRoot('http://127.0.0.1:8000')).toBe('http://127.0.0.1:8000/v1');
    expect(apiRoot('http://h:1/v1/chat/completions')).toBe('http://h:1/v1');
    expect(apiRoot('https://h/api/v1/')).toBe('https://h/api/v1');
    expect(parseRemoteSpec('http://h:1/v1?model=m&mode=pointwise&concurrency=3&timeout=50')).toEqual({ baseUrl: 'http://h:1/v1', model: 'm', mode: 'pointwise', maxConcurrency: 3, timeoutMs: 50 });
    expect(() => parseRemoteSpec('http://h/v1?foo=1')).toThrow(/unknown parameter 'foo'/);
    expect(() => parseRemoteSpec('http://h/v1?mode=x')).toThrow(/pairwise or pointwise/);
    expect(() => apiRoot('ftp://h')).toThrow(/http:\/\/ or https:\/\//);
  });
  it('backs off exponentially with jitter and a cap', () => {
    expect(backoffDelay(1, 100, 1000, () => 1)).toBe(100);
    expect(backoffDelay(3, 100, 1000, () => 1)).toBe(400);
    expect(backoffDelay(9, 100, 1000, () => 0)).toBe(500);
  });
});

describe('RemoteRewardModel over a loopback replay server', () => {
  it('sends chat completions with image parts, logprobs and the API key; discovers the model id', async () => {
    const s = await serve([{ body: fixture('answer-yes.json') }]);
    const m = createRemoteRewardModel(s.url, { ...FAST, apiKey: 'sk-test' });
    const [r] = await m.score([{ ...query, candidate: videoMedia([contractImage(3), contractImage(4)]) }]);
    expect(r!.reward).toBeGreaterThan(0.9);
    const req = s.requests[0]!;
    expect(req.headers.authorization).toBe('Bearer sk-test');
    const body = req.body as { model: string; logprobs: boolean; top_logprobs: number; max_tokens: number; messages: { role: string; content: { type: string; image_url?: { url: string } }[] }[] };
    expect(body).toMatchObject({ model: 'Qwen/Qwen2-VL-7B-Instruct', logprobs: true, top_logprobs: 20, max_tokens: 4 });
    const images = body.messages[0]!.content.filter((c) => c.type === 'image_url');
    expect(images).toHaveLength(3); // reference + two frames
    expect(images[0]!.image_url!.url).toMatch(/^data:image\/png;base64,iVBOR/);
  });

  it('reads the API key from the environment', async () => {
    const s = await serve([{ body: fixture('answer-yes.json') }]);
    process.env.REWARDDANCE_API_KEY = 'env-key';
    try {
      await createRemoteRewardModel(`${s.url}?model=m`, FAST).score([query]);
    } finally {
      delete process.env.REWARDDANCE_API_KEY;
    }
    expect(s.requests[0]!.headers.authorization).toBe('Bearer env-key');
  });

  it('retries 429 (honouring Retry-After) and 503 then succeeds', async () => {
    const s = await serve([
      { status: 429, headers: { 'retry-after': '0' }, body: { error: { message: 'rate limited', type: 'RateLimitError', param: null, code: 429 } } },
      { status: 503, body: fixture('error-503-legacy.json') },
      { body: fixture('answer-yes.json') },
    ]);
    const [r] = await createRemoteRewardModel(`${s.url}?model=m`, FAST).score([query]);
    expect(r!.reward).toBeGreaterThan(0.9);
    expect(s.count()).toBe(3);
  });

  it('gives up after maxRetries of 500s with the status and message', async () => {
    const err = { status: 500, body: { error: { message: 'CUDA out of memory', type: 'InternalServerError', param: null, code: 500 } } };
    const s = await serve([err, err, err]);
    const m = createRemoteRewardModel(`${s.url}?model=m&retries=2`, FAST);
    await expect(m.score([query])).rejects.toThrow(/query 0: .*answered HTTP 500: CUDA out of memory \(gave up after 3 attempts/);
    expect(s.count()).toBe(3);
  });

  it('does not retry a 400 and quotes its message', async () => {
    const s = await serve([{ status: 400, body: fixture('error-400.json') }]);
    const m = createRemoteRewardModel(`${s.url}?model=m`, FAST);
    const e = await m.score([query]).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(QueryError);
    expect((e as QueryError).status).toBe(400);
    expect((e as Error).message).toMatch(/HTTP 400: This model's maximum context length/);
    expect(s.count()).toBe(1);
  });

  it('times out a hanging server, retries, then reports the timeout', async () => {
    const s = await serve([{ hang: true }, { hang: true }]);
    const m = createRemoteRewardModel(`${s.url}?model=m&retries=1&timeout=100`, FAST);
    const e = (await m.score([query]).catch((x: unknown) => x)) as HttpError;
    expect(e.message).toMatch(/did not answer within 100 ms/);
    expect(e.status).toBe(504);
  });

  it('recovers from a dropped connection', async () => {
    const s = await serve([{ reset: true }, { body: fixture('answer-yes.json') }]);
    const [r] = await createRemoteRewardModel(`${s.url}?model=m`, FAST).score([query]);
    expect(r!.reward).toBeGreaterThan(0.9);
  });

  it('keeps going past per-query failures when asked, naming each failed query', async () => {
    const s = await serve([], (_b, n) => (n % 4 === 1 ? { body: fixture('no-logprobs.json') } : n === 2 ? { body: fixture('no-yes-no.json') } : { body: fixture('answer-yes.json') }));
    const m = createRemoteRewardModel(`${s.url}?model=m&concurrency=1`, FAST);
    const outs = await scoreSettled(m, [query, query, query, query]);
    expect(outs.map((o) => o.ok)).toEqual([true, false, false, true]);
    expect(outs[1]!.ok ? '' : outs[1]!.error.message).toMatch(/^query 1: .*without logprobs/);
    expect(outs[2]!.ok ? '' : outs[2]!.error.message).toMatch(/^query 2: .*no yes\/no token/);
    await expect(m.score([query, query])).rejects.toThrow(/^query 1: .*without logprobs/);
  });

  it('keeps at most maxConcurrency requests in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const s = await serve([], () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      setTimeout(() => inFlight--, 15);
      return { body: fixture('answer-yes.json'), delayMs: 15 };
    });
    await createRemoteRewardModel(`${s.url}?model=m&concurrency=3`, FAST).score(Array.from({ length: 12 }, () => query));
    expect(peak).toBeLessThanOrEqual(3);
    expect(peak).toBeGreaterThanOrEqual(2);
  });

  it('explains an unreachable server', async () => {
    const m = createRemoteRewardModel('http://127.0.0.1:9/v1?model=m&retries=0', FAST);
    await expect(m.score([query])).rejects.toThrow(/could not be reached.*is the server running/);
  });
});

let judge: ReplayServer | undefined;
rewardModelContract({
  name: 'remote OpenAI-compatible (pairwise, loopback synthetic judge)',
  create: async () => {
    judge = await startReplayServer({ respond: syntheticJudge() });
    const m = createRemoteRewardModel(judge.url, FAST);
    return { id: m.id, mode: m.mode, score: (q) => m.score(q), scoreSettled: (q) => m.scoreSettled(q), close: async () => {
        m.close();
        await judge!.close();
      } };
  },
  swapSymmetryTolerance: 1e-9,
});
rewardModelContract({
  name: 'remote OpenAI-compatible (pointwise, reason-first)',
  create: async () => {
    const s = await startReplayServer({ respond: syntheticJudge() });
    const m = createRemoteRewardModel(s.url, { ...FAST, mode: 'pointwise' });
    return { id: m.id, mode: m.mode, score: (qs) => m.score(qs.map((q) => ({ ...q, cot: 'reason-first' }))), close: async () => {
        m.close();
        await s.close();
      } };
  },
});
