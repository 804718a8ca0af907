/**
 * The reward server with its model in a worker thread (src/serve/worker-model.ts), over real
 * sockets: the tiny VLM gives the same numbers as in the main thread (rewards, debiasing, chat
 * completions' top log-probabilities), leaves no tensors behind, and its worker ends with the server; a worker that
 * crashes fails only the culprit, is restarted, and the server keeps answering; /healthz is
 * 503 (naming the model and its state) while the worker restarts or is down, 200 once it is
 * back; a hung worker is terminated by the watchdog, its batch gets 504 within the deadline and
 * work queued behind it runs on the fresh worker; queue limits, deadlines and draining on
 * close work as with an in-thread model. Workers run src/ directly
 * through scripts/ts-register.mjs (a TypeScript loader), as vitest does for the test itself.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blankImage, encodePng, imageMedia } from '../../src/data/image.js';
import { ConfigError } from '../../src/errors.js';
import { SPECIAL_TOKENS } from '../../src/data/tokenizer.js';
import { vlmConfig } from '../../src/models/vlm/config.js';
import { TinyVlm } from '../../src/models/vlm/model.js';
import { DEFAULT_CONTEXT } from '../../src/models/vlm/prompting.js';
import { saveCheckpoint } from '../../src/nn/index.js';
import { LocalVlmRewardModel } from '../../src/rewards/generative.js';
import { pairwiseInstruction } from '../../src/data/export/template.js';
import type { RewardQuery } from '../../src/rewards/types.js';
import { buildServer, type RewardServer } from '../../src/serve/app.js';
import { loadServedModels } from '../../src/serve/lifecycle.js';
import { CRASH_PROMPT, HANG_PROMPT, testReward, type BatchCost } from '../../src/serve/test-models.js';
import { WorkerRewardModel } from '../../src/serve/worker-model.js';
import { manualSeed } from '../../src/tensor/index.js';
import { defaultVocabulary } from '../../src/train/reward/pretrain-data.js';
import { pngB64, post, sleep, waitFor } from './serve-helpers.js';

const CLI = 'dist/src/cli/main.js';
const LOADER = ['--import', new URL('../../scripts/ts-register.mjs', import.meta.url).href];
const TEST_MODELS = new URL('../../src/serve/test-models.ts', import.meta.url).href;

type Result = { reward: number | null; pYesVocab: number | null; logitYes: number | null; logitNo: number | null; error?: string; positionConsistent?: boolean };

/** A seeded 32x32 noise image (the tiny VLM's input size). */
function noiseImage(seed: number): ReturnType<typeof blankImage> {
  const img = blankImage(32, 32);
  let s = seed;
  for (let i = 0; i < img.data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    img.data[i] = (s >>> 16) & 0xff;
  }
  return img;
}

function noisePng(seed: number): string {
  return encodePng(noiseImage(seed)).toString('base64');
}

/** A random-weight tiny VLM checkpoint (pairwise, instruction context) in a fresh temporary folder. */
function tinyCheckpoint(name: string, seed: number): string {
  manualSeed(seed);
  const config = vlmConfig({ dim: 32, layers: 2, heads: 2, stemChannels: 8, patch: 8, vocab: [...SPECIAL_TOKENS, ...defaultVocabulary()] });
  const model = new TinyVlm(config);
  const dir = join(mkdtempSync(join(tmpdir(), 'rd-worker-')), name);
  saveCheckpoint(dir, { config: { ...config, paradigm: 'pairwise', context: DEFAULT_CONTEXT }, model });
  model.dispose();
  return dir;
}

/**
 * A test double in a worker (`loadTestRewardModel(options)` in src/serve/test-models.ts; a
 * `loadDelayMs` makes each (re)start last that long), with the worker's crash limit and watchdog.
 */
function doubleInWorker(options: { id: string; cost?: BatchCost; loadDelayMs?: number; hangOnLoadIfExists?: string }, maxCrashesPerMinute?: number, timeoutMs?: number, loadTimeoutMs?: number): Promise<WorkerRewardModel> {
  return WorkerRewardModel.start({
    source: { kind: 'module', url: TEST_MODELS, exportName: 'loadTestRewardModel', options },
    execArgv: LOADER,
    ...(maxCrashesPerMinute !== undefined ? { maxCrashesPerMinute } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(loadTimeoutMs !== undefined ? { loadTimeoutMs } : {}),
  });
}

type Health = { status: string; reason?: string; models: string[]; modelStates: { model: string; state: string; restarts: number; reason?: string }[] };

async function health(url: string): Promise<{ status: number; body: Health }> {
  const r = await fetch(`${url}/healthz`);
  return { status: r.status, body: (await r.json()) as Health };
}

describe('tiny VLM in a worker thread', () => {
  let dir: string;
  let inThread: LocalVlmRewardModel;
  let worker: WorkerRewardModel;
  let main: RewardServer;
  let off: RewardServer;
  let mainUrl: string;
  let offUrl: string;

  beforeAll(async () => {
    dir = tinyCheckpoint('rd-worker-test', 5);
    inThread = LocalVlmRewardModel.load(dir);
    const served = await loadServedModels([dir], { modelThread: 'worker', workerExecArgv: LOADER });
    worker = served[0]!.reward as WorkerRewardModel;
    expect(worker).toBeInstanceOf(WorkerRewardModel);
    expect(served[0]).toMatchObject({ id: 'rd-worker-test', chat: worker });
    const batching = { maxBatch: 8, maxWaitMs: 2 };
    main = await buildServer({ models: [{ id: inThread.id, reward: inThread, chat: inThread }], batching });
    off = await buildServer({ models: served, batching });
    mainUrl = await main.listen();
    offUrl = await off.listen();
  });

  afterAll(async () => {
    await main?.close();
    await off?.close();
    rmSync(join(dir, '..'), { recursive: true, force: true });
  });

  it('scores exactly as the in-thread model over HTTP: rewards, debiasing, chat completions', async () => {
    const body = {
      items: [
        { task: 't2i', prompt: 'a photo of a red circle', image: noisePng(1), reference: noisePng(2) },
        { task: 't2i', prompt: 'two blue stars', image: noisePng(3), reference: noisePng(4), debias: true },
        { task: 't2i', prompt: 'a green square', image: pngB64(32, 32, [30, 200, 40]), reference: noisePng(5), criteria: 'quality' },
        { task: 't2i', prompt: 'a red circle', image: pngB64(8, 8, [30, 200, 40]), reference: noisePng(5) },
      ],
    };
    const a = await post(`${mainUrl}/v1/rewards`, body);
    const b = await post(`${offUrl}/v1/rewards`, body);
    expect([a.status, b.status]).toEqual([200, 200]);
    const ra = a.json.results as Result[];
    const rb = b.json.results as Result[];
    for (let i = 0; i < 3; i++) {
      for (const k of ['reward', 'pYesVocab', 'logitYes', 'logitNo'] as const) expect(Math.abs(rb[i]![k]! - ra[i]![k]!), `item ${i} ${k}`).toBeLessThan(1e-6);
    }
    expect(rb[1]!.positionConsistent).toBe(ra[1]!.positionConsistent);
    // a model error raised in the worker keeps its class and wording
    expect(rb[3]!.error).toBe(ra[3]!.error);
    expect(rb[3]!.error).toMatch(/expects 32x32/);

    // chat completions: the same top log-probabilities, token for token
    const chat = {
      model: 'rd-worker-test',
      messages: [{ role: 'user', content: [{ type: 'text', text: pairwiseInstruction('alignment', 'a photo of a red circle') }, ...[noisePng(7), noisePng(8)].map((b64) => ({ type: 'image_url', image_url: { url: `data:image/png;base64,${b64}` } }))] }],
      max_tokens: 2,
      temperature: 0,
      logprobs: true,
      top_logprobs: 5,
    };
    const qa = await post(`${mainUrl}/v1/chat/completions`, chat);
    const qb = await post(`${offUrl}/v1/chat/completions`, chat);
    expect([qa.status, qb.status]).toEqual([200, 200]);
    type Top = { token: string; logprob: number; top_logprobs: { token: string; logprob: number }[] };
    const ta = (qa.json.choices as { logprobs: { content: Top[] } }[])[0]!.logprobs.content;
    const tb = (qb.json.choices as { logprobs: { content: Top[] } }[])[0]!.logprobs.content;
    expect(ta.length).toBeGreaterThan(0);
    expect(tb.map((t) => t.token)).toEqual(ta.map((t) => t.token));
    tb.forEach((t, i) => t.top_logprobs.forEach((alt, k) => {
      expect(alt.token).toBe(ta[i]!.top_logprobs[k]!.token);
      expect(Math.abs(alt.logprob - ta[i]!.top_logprobs[k]!.logprob)).toBeLessThan(1e-6);
    }));

    const queries: RewardQuery[] = [1, 2, 3].map((k) => ({ task: 't2i', prompt: 'a photo of a red circle', criteria: 'alignment', reference: imageMedia(blankImage(32, 32, [140, 150, 160])), candidate: imageMedia(blankImage(32, 32, [40 * k, 200 - 30 * k, 90])) }));
    // and the direct call agrees with the in-thread model on the same batch
    const direct = await worker.score(queries);
    const local = await inThread.score(queries);
    direct.forEach((r, i) => {
      expect(Math.abs(r.reward - local[i]!.reward)).toBeLessThan(1e-6);
      expect(Math.abs(r.logitYes - local[i]!.logitYes)).toBeLessThan(1e-6);
    });
  });

  it('keeps answering /healthz while the worker computes, and leaves no tensors behind', async () => {
    const before = await worker.memory();
    const body = { items: Array.from({ length: 6 }, (_, k) => ({ task: 't2i', prompt: 'a photo of a red circle', image: noisePng(10 + k), reference: noisePng(20 + k), debias: k % 2 === 0 })) };
    const load = Array.from({ length: 12 }, () => post(`${offUrl}/v1/rewards`, body));
    const health = await fetch(`${offUrl}/healthz`);
    expect(health.status).toBe(200);
    const answers = await Promise.all(load);
    for (const r of answers) {
      expect(r.status).toBe(200);
      expect((r.json.results as Result[]).every((x) => typeof x.reward === 'number')).toBe(true);
    }
    const after = await worker.memory();
    expect(after.liveTensors).toBe(before.liveTensors);
    expect(after.liveTensors).toBeGreaterThan(0); // the weights
  });

  it('ends the worker when the server closes', async () => {
    expect(worker.threadId).toBeGreaterThan(0);
    await off.close();
    expect(worker.threadId).toBe(-1);
    await expect(worker.score([])).rejects.toThrow(/is closed/);
  });
});

describe('model worker faults and limits (test double in a worker)', () => {
  const BRIGHT = pngB64(8, 8, [230, 230, 230]);
  const brightReward = testReward({ task: 't2i', prompt: 'a cube', candidate: imageMedia(blankImage(8, 8, [230, 230, 230])) }, 'pointwise').reward;

  it('a crash fails only the item that caused it; the worker restarts and the server keeps answering', async () => {
    const wm = await doubleInWorker({ id: 'double' }, 10);
    const server = await buildServer({ models: [{ id: wm.id, reward: wm }], batching: { maxBatch: 8, maxWaitMs: 20 } });
    const url = await server.listen();
    try {
      const firstThread = wm.threadId;
      const r = await post(`${url}/v1/rewards`, { items: [{ task: 't2i', prompt: 'a cube', image: BRIGHT }, { task: 't2i', prompt: CRASH_PROMPT, image: BRIGHT }] });
      expect(r.status).toBe(200);
      const results = r.json.results as Result[];
      expect(results[0]!.reward).toBeCloseTo(brightReward, 12);
      expect(results[1]!.reward).toBeNull();
      expect(results[1]!.error).toMatch(/the model worker for 'double' crashed \(exit code 70\) while this batch was running; a fresh worker takes the next batch/);
      expect(wm.restarts).toBe(2); // the batch, then the culprit alone
      expect(wm.threadId).not.toBe(firstThread);

      // a request that needs the crashing item as a whole answers a clear 5xx
      const sel = await post(`${url}/v1/select`, { task: 't2i', prompt: CRASH_PROMPT, candidates: [BRIGHT, BRIGHT] });
      expect(sel.status).toBe(500);
      expect(sel.json).toMatchObject({ error: { type: 'server_error' } });
      expect((sel.json.error as { message: string }).message).toMatch(/model worker for 'double' crashed/);

      // healthy again once the fresh worker has loaded (503 while it loads: see the next tests)
      await waitFor(() => wm.health().state === 'up', 'the worker to restart', 10_000);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const again = await post(`${url}/v1/rewards`, { items: [{ task: 't2i', prompt: 'a cube', image: BRIGHT }] });
      expect((again.json.results as Result[])[0]!.reward).toBeCloseTo(brightReward, 12);
    } finally {
      await server.close();
    }
    expect(wm.threadId).toBe(-1);
  });

  it('a worker that keeps crashing stays down and answers 503', async () => {
    const wm = await doubleInWorker({ id: 'fragile' }, 0);
    const server = await buildServer({ models: [{ id: wm.id, reward: wm }], batching: { maxBatch: 1, maxWaitMs: 0 } });
    const url = await server.listen();
    try {
      const crash = await post(`${url}/v1/rewards`, { items: [{ task: 't2i', prompt: CRASH_PROMPT, image: BRIGHT }] });
      expect((crash.json.results as Result[])[0]!.error).toMatch(/crashed \(exit code 70\)/);
      const sel = await post(`${url}/v1/select`, { task: 't2i', prompt: 'a cube', candidates: [BRIGHT, BRIGHT] });
      expect(sel.status).toBe(503);
      expect(sel.json).toMatchObject({ error: { code: 'model_unavailable', type: 'server_error' } });
      expect((sel.json.error as { message: string }).message).toMatch(/the model worker for 'fragile' is down and was not restarted: it crashed or hung more than 0 times within 60 s \(last: .*crashed \(exit code 70\)\); restart the server/);
      // a down model fails /v1/rewards as a whole, not item by item
      const rw = await post(`${url}/v1/rewards`, { items: [{ task: 't2i', prompt: 'a cube', image: BRIGHT }, { task: 't2i', prompt: 'a ball', image: BRIGHT }] });
      expect(rw.status).toBe(503);
      expect(rw.json).toMatchObject({ error: { code: 'model_unavailable' } });
      // and health says so, naming the model and its state
      const h = await health(url);
      expect(h.status).toBe(503);
      expect(h.body).toMatchObject({ status: 'unavailable', models: ['fragile'], modelStates: [{ model: 'fragile', state: 'down', restarts: 0 }] });
      expect(h.body.reason).toMatch(/^model 'fragile' is down: the model worker for 'fragile' is down and was not restarted/);
      expect(wm.liveWorkers).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('a worker whose load hangs is terminated: the start fails with a clear error, a restart leaves the model down (503)', async () => {
    // long enough for a worker to boot with the TypeScript loader on a busy machine
    const LOAD_LIMIT_MS = 5_000;
    const marker = join(mkdtempSync(join(tmpdir(), 'rd-hang-')), 'hang');
    writeFileSync(marker, '');
    const t0 = performance.now();
    await expect(doubleInWorker({ id: 'stuck-load', hangOnLoadIfExists: marker }, 10, undefined, LOAD_LIMIT_MS)).rejects.toThrow(
      /the model worker did not finish loading the model from .*test-models\.ts \(loadTestRewardModel\) within \d+ ms \(--worker-load-timeout-ms\) and was terminated/,
    );
    expect(performance.now() - t0).toBeLessThan(LOAD_LIMIT_MS + 15_000);

    // loads fine at first; after a crash, the fresh worker's load hangs
    rmSync(marker);
    const wm = await doubleInWorker({ id: 'stuck-reload', hangOnLoadIfExists: marker }, 10, undefined, LOAD_LIMIT_MS);
    const server = await buildServer({ models: [{ id: wm.id, reward: wm }], batching: { maxBatch: 1, maxWaitMs: 0 } });
    const url = await server.listen();
    try {
      writeFileSync(marker, '');
      const crash = await post(`${url}/v1/rewards`, { items: [{ task: 't2i', prompt: CRASH_PROMPT, image: BRIGHT }] });
      expect((crash.json.results as Result[])[0]!.error).toMatch(/crashed \(exit code 70\)/);
      await waitFor(() => wm.health().state === 'down', 'the stuck restart to be given up', 30_000);
      const h = await health(url);
      expect(h.status).toBe(503);
      expect(h.body.reason).toMatch(/a fresh worker could not load the model \(the model worker did not finish loading .* within \d+ ms \(--worker-load-timeout-ms\) and was terminated/);
      const again = await post(`${url}/v1/rewards`, { items: [{ task: 't2i', prompt: 'a cube', image: BRIGHT }] });
      expect(again.status).toBe(503);
    } finally {
      await server.close();
      rmSync(marker, { force: true });
    }
  });

  it('refuses a bad load timeout', async () => {
    await expect(doubleInWorker({ id: 'x' }, 1, undefined, -1)).rejects.toThrow(ConfigError);
  });

  it('/healthz answers 503 naming the model while its worker restarts after a crash, and 200 once it is back', async () => {
    // Each (re)start takes 600 ms, long enough to see the restart from outside.
    const wm = await doubleInWorker({ id: 'phoenix', loadDelayMs: 600 }, 10);
    const server = await buildServer({ models: [{ id: wm.id, reward: wm }], batching: { maxBatch: 1, maxWaitMs: 0 } });
    const url = await server.listen();
    try {
      const up = await health(url);
      expect(up.status).toBe(200);
      expect(up.body).toMatchObject({ status: 'ok', modelStates: [{ model: 'phoenix', state: 'up', restarts: 0 }] });
      expect(up.body.reason).toBeUndefined();

      const crash = await post(`${url}/v1/rewards`, { items: [{ task: 't2i', prompt: CRASH_PROMPT, image: BRIGHT }] });
      expect((crash.json.results as Result[])[0]!.error).toMatch(/crashed \(exit code 70\)/);
      const down = await health(url);
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject({ status: 'unavailable', models: ['phoenix'], modelStates: [{ model: 'phoenix', state: 'restarting', restarts: 1 }] });
      expect(down.body.reason).toMatch(/^model 'phoenix' is restarting: the model worker for 'phoenix' crashed \(exit code 70\); a fresh worker is loading the model$/);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toMatch(/^rewarddance_model_up\{model="phoenix"\} 0$/m);

      // a request sent during the restart waits for the fresh worker instead of failing
      const during = post(`${url}/v1/rewards`, { items: [{ task: 't2i', prompt: 'a cube', image: BRIGHT }] });
      await waitFor(() => wm.health().state === 'up', 'the worker to restart', 10_000);
      const back = await health(url);
      expect(back.status).toBe(200);
      expect(back.body).toMatchObject({ status: 'ok', modelStates: [{ model: 'phoenix', state: 'up', restarts: 1 }] });
      expect(((await during).json.results as Result[])[0]!.reward).toBeCloseTo(brightReward, 12);
      expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/^rewarddance_model_up\{model="phoenix"\} 1$\n[^]*^rewarddance_model_worker_restarts_total\{model="phoenix"\} 1$/m);
    } finally {
      await server.close();
    }
    expect(wm.liveWorkers).toBe(0);
  });

  it('a hung worker is terminated by the watchdog: its batch gets 504 within the deadline, work queued behind it and later requests succeed', async () => {
    const DEADLINE_MS = 300;
    // Restarts take 300 ms, so the restarting state can be seen from outside.
    const wm = await doubleInWorker({ id: 'sleepy', loadDelayMs: 300 }, 10, DEADLINE_MS);
    const server = await buildServer({ models: [{ id: wm.id, reward: wm }], batching: { maxBatch: 4, maxWaitMs: 0 } });
    const url = await server.listen();
    try {
      const firstThread = wm.threadId;
      const t0 = performance.now();
      const hung = post(`${url}/v1/rewards`, { items: [{ task: 't2i', prompt: `a cube ${HANG_PROMPT}`, image: BRIGHT }] });
      await waitFor(() => wm.watchdogArmed, 'the hanging batch to reach the worker');
      // queued behind the hung batch (one batch runs at a time): it must run on the fresh worker
      const queued = post(`${url}/v1/rewards`, { items: [{ task: 't2i', prompt: 'a cube', image: BRIGHT }] });
      const r = await hung;
      const took = performance.now() - t0;
      expect(r.status).toBe(504);
      expect(r.headers.get('retry-after')).toBe('1');
      expect(r.json).toMatchObject({ error: { type: 'server_error', code: 'model_worker_hung' } });
      expect((r.json.error as { message: string }).message).toMatch(/the model worker for 'sleepy' hung \(no answer within 300 ms, --worker-timeout-ms\) and was terminated; this batch failed and a fresh worker takes the next one/);
      expect(took).toBeGreaterThanOrEqual(DEADLINE_MS - 5);
      expect(took).toBeLessThan(DEADLINE_MS + 1_500);
      expect((await health(url)).body.modelStates[0]).toMatchObject({ model: 'sleepy', state: 'restarting', restarts: 1 });
      const q = await queued;
      expect(q.status).toBe(200);
      expect((q.json.results as Result[])[0]!.reward).toBeCloseTo(brightReward, 12);
      expect(wm.threadId).not.toBe(firstThread);
      expect((await health(url)).status).toBe(200);
      // the hung thread was really ended, and no watchdog is left set
      await waitFor(() => wm.liveWorkers === 1, 'the hung worker to exit');
      expect(wm.watchdogArmed).toBe(false);

      // a hang fails every query of its batch at once (no item-by-item retry that would hang
      // again), on /v1/select too; the next request succeeds
      const t1 = performance.now();
      const sel = await post(`${url}/v1/select`, { task: 't2i', prompt: HANG_PROMPT, candidates: [BRIGHT, BRIGHT, BRIGHT] });
      expect(sel.status).toBe(504);
      expect(performance.now() - t1).toBeLessThan(DEADLINE_MS + 1_500);
      expect(wm.restarts).toBe(2);
      const next = await post(`${url}/v1/rewards`, { items: [{ task: 't2i', prompt: 'a cube', image: BRIGHT }, { task: 't2i', prompt: 'a cube', image: BRIGHT }] });
      expect(next.status).toBe(200);
      expect((next.json.results as Result[]).map((x) => x.reward)).toEqual([brightReward, brightReward]);
      expect(wm.restarts).toBe(2);
    } finally {
      await server.close();
    }
    expect(wm.liveWorkers).toBe(0);
    expect(wm.watchdogArmed).toBe(false);
    expect(wm.health().state).toBe('closed');
  });

  it('the watchdog counts from the last answer: calls queued behind slow ones are not hangs', async () => {
    // three 150 ms calls sent at once take 450 ms in all, past the 300 ms deadline, but each
    // answer comes within 300 ms of the one before
    const wm = await doubleInWorker({ id: 'steady', cost: { fixedMs: 150, perItemMs: 0, kind: 'busy' } }, 10, 300);
    try {
      const q = { task: 't2i' as const, prompt: 'a cube', candidate: imageMedia(blankImage(8, 8, [230, 230, 230])) };
      const out = await Promise.all([wm.score([q]), wm.score([q]), wm.score([q])]);
      expect(out.map((r) => r[0]!.reward)).toEqual([brightReward, brightReward, brightReward]);
      expect(wm.restarts).toBe(0);
      expect(wm.watchdogArmed).toBe(false);
    } finally {
      await wm.close();
    }
  });

  it('a worker that hangs during shutdown is still ended, and bad watchdog settings are refused', async () => {
    const wm = await doubleInWorker({ id: 'stuck' }, 10, 200);
    const pending = wm.score([{ task: 't2i', prompt: HANG_PROMPT, candidate: imageMedia(blankImage(8, 8, [230, 230, 230])) }]).then(
      () => 'answered',
      (err: Error) => err.message,
    );
    await waitFor(() => wm.watchdogArmed, 'the hanging call to reach the worker');
    const t0 = performance.now();
    await wm.close();
    expect(performance.now() - t0).toBeLessThan(2_000); // the watchdog, not the 5 s close timeout
    expect(await pending).toMatch(/the model worker for 'stuck' hung \(no answer within 200 ms, --worker-timeout-ms\) and was terminated; the server is shutting down/);
    expect(wm.liveWorkers).toBe(0);
    expect(wm.watchdogArmed).toBe(false);
    expect(wm.restarts).toBe(0);

    for (const timeoutMs of [-1, 1.5, 2 ** 31]) {
      const start = WorkerRewardModel.start({ source: { kind: 'module', url: TEST_MODELS, exportName: 'loadTestRewardModel' }, execArgv: LOADER, timeoutMs });
      await expect(start).rejects.toBeInstanceOf(ConfigError);
      await expect(start).rejects.toThrow(`the model worker timeout must be an integer number of ms from 0 (no watchdog) to 2147483647, got ${timeoutMs}`);
    }
  });

  it('429 when the queue is full, 503 past the deadline, and close drains in-flight work before ending the worker', async () => {
    // A busy-waiting batch blocks the worker's thread only: the HTTP thread stays free.
    const wm = await doubleInWorker({ id: 'slow', cost: { fixedMs: 300, perItemMs: 0, kind: 'busy' } });
    const server = await buildServer({ models: [{ id: wm.id, reward: wm }], batching: { maxBatch: 2, maxWaitMs: 1, maxQueue: 2, timeoutMs: 2_000 } });
    const url = await server.listen();
    const body = { items: [{ task: 't2i', prompt: 'a cube', image: BRIGHT }] };
    const first = Array.from({ length: 2 }, () => post(`${url}/v1/rewards`, body));
    await sleep(100); // the first batch is running in the worker
    const t0 = performance.now();
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(performance.now() - t0).toBeLessThan(150);
    const burst = await Promise.all(Array.from({ length: 6 }, () => post(`${url}/v1/rewards`, body)));
    const codes = burst.map((r) => r.status).sort();
    expect(codes.filter((c) => c === 429).length).toBeGreaterThanOrEqual(3);
    expect(burst.find((r) => r.status === 429)!.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await Promise.all(first)).map((r) => r.status)).toEqual([200, 200]);

    const inFlight = Array.from({ length: 2 }, () => post(`${url}/v1/rewards`, body));
    await sleep(50);
    await server.close();
    expect((await Promise.all(inFlight)).map((r) => r.status)).toEqual([200, 200]);
    expect(wm.threadId).toBe(-1);

    const tight = await doubleInWorker({ id: 'late', cost: { fixedMs: 400, perItemMs: 0, kind: 'busy' } });
    const s2 = await buildServer({ models: [{ id: tight.id, reward: tight }], batching: { maxBatch: 1, maxWaitMs: 0, timeoutMs: 100 } });
    const u2 = await s2.listen();
    try {
      const late = await post(`${u2}/v1/rewards`, body);
      expect(late.status).toBe(503);
      expect(late.json).toMatchObject({ error: { code: 'timeout' } });
      expect(late.headers.get('retry-after')).toBe('1');
    } finally {
      await s2.close();
    }
  });
});

describe.skipIf(!existsSync(CLI))('rewarddance serve with a checkpoint (built CLI, model in a worker)', () => {
  it('refuses a bad --worker-timeout-ms with a clear error before loading anything', () => {
    for (const [value, want] of [
      ['soon', "--worker-timeout-ms must be an integer >= 0, got 'soon'"],
      ['2147483648', "--worker-timeout-ms must be at most 2147483647 (about 24.8 days), got '2147483648'; 0 turns the watchdog off"],
    ] as const) {
      const r = spawnSync(process.execPath, [CLI, 'serve', '--model', 'no-such-folder', '--worker-timeout-ms', value], { encoding: 'utf8', timeout: 30_000 });
      expect(r.status, r.stderr).not.toBe(0);
      expect(r.stderr).toContain(want);
    }
  });

  it('serves the checkpoint from its worker, drains on SIGTERM and exits 0', async () => {
    const dir = tinyCheckpoint('rd-cli-worker', 9);
    const child = spawn(process.execPath, [CLI, 'serve', '--model', dir, '--port', '0', '--max-batch', '4', '--worker-timeout-ms', '20000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor(() => /at (http:\/\/127\.0\.0\.1:\d+)/.test(stderr), 'the server to listen', 30_000);
      const url = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)![1]!;
      const body = { items: [{ task: 't2i', prompt: 'a photo of a red circle', image: noisePng(1), reference: noisePng(2) }] };
      const first = await post(`${url}/v1/rewards`, body);
      expect(first.status).toBe(200);
      const local = LocalVlmRewardModel.load(dir);
      const [want] = await local.score([{ task: 't2i', prompt: 'a photo of a red circle', candidate: imageMedia(noiseImage(1)), reference: imageMedia(noiseImage(2)) }]);
      local.close();
      expect(Math.abs((first.json.results as Result[])[0]!.reward! - want!.reward)).toBeLessThan(1e-6);
      // 8 requests of 8 items (batches of at most 4): SIGTERM once every request is inside the
      // server (its items scored, queued or running), since requests still on the wire when the
      // listener closes are reset, as in any server. Arrived items are 1 + 8k; scored + queued
      // >= 61 with at most 4 running means k = 8.
      const many = { items: Array.from({ length: 8 }, () => body.items[0]!) };
      const inFlight = Array.from({ length: 8 }, () => post(`${url}/v1/rewards`, many));
      let inside = 0;
      const probe = setInterval(() => {
        void fetch(`${url}/metrics`)
          .then((r) => r.text())
          .then((t) => {
            const num = (name: string): number => Number(new RegExp(`^${name}\\{model="rd-cli-worker"\\} (\\d+)$`, 'm').exec(t)?.[1] ?? 0);
            inside = num('rewarddance_items_scored_total') + num('rewarddance_queue_depth');
          })
          .catch(() => undefined);
      }, 5);
      try {
        // at most one batch (4 items) is running, counted in neither figure
        await waitFor(() => inside >= 1 + 64 - 4, 'all requests to reach the server');
      } finally {
        clearInterval(probe);
      }
      child.kill('SIGTERM');
      expect((await Promise.all(inFlight)).map((r) => r.status)).toEqual(new Array(8).fill(200));
      expect(await exited).toBe(0);
      expect(stderr).toMatch(/drained; bye/);
    } finally {
      child.kill('SIGKILL');
      rmSync(join(dir, '..'), { recursive: true, force: true });
    }
  });
});
