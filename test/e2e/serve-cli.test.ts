/**
 * The real `rewarddance serve` process (built CLI in dist/) under load, then SIGTERM: every
 * request already received is answered, the process exits 0 after draining, and the port
 * closes. The served model is rewarddance's remote backend pointed at a loopback replay server
 * (a deterministic stand-in VLM), because no trained local checkpoint exists in the test
 * environment. Skipped when dist/ has not been built (`npm run build`; CI builds on install).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplayServer, syntheticJudge, type ReplayServer } from '../../src/rewards/replay-server.js';
import { pngB64, post, waitFor } from './serve-helpers.js';

const CLI = 'dist/src/cli/main.js';
/** Stand-in VLM latency per request, so SIGTERM lands while work is in flight. */
const JUDGE_DELAY_MS = 150;

describe.skipIf(!existsSync(CLI))('rewarddance serve (process)', () => {
  let judge: ReplayServer;
  beforeAll(async () => {
    const answer = syntheticJudge('judge');
    judge = await startReplayServer({ respond: (body) => ({ ...answer(body), delayMs: JUDGE_DELAY_MS }), models: ['judge'] });
  });
  afterAll(() => judge.close());

  it('drains in-flight requests on SIGTERM and exits 0', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--model', `judge=${judge.url}/v1?model=judge&mode=pointwise`, '--port', '0', '--max-batch', '8'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor(() => /at (http:\/\/127\.0\.0\.1:\d+)/.test(stderr), 'the server to listen', 20_000);
      const url = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)![1]!;
      expect((await (await fetch(`${url}/v1/models`)).json())).toMatchObject({ data: [{ id: 'judge' }] });
      const body = { items: [{ task: 't2i', prompt: 'a red cube', image: pngB64(8, 8, [200, 30, 30]) }] };
      const inFlight = Array.from({ length: 16 }, () => post(`${url}/v1/rewards`, body));
      // SIGTERM once all 16 requests are inside the server (running at the model or queued):
      // requests still on the wire when the listener closes are reset, as in any server.
      let queued = 0;
      const probe = setInterval(() => {
        void fetch(`${url}/metrics`)
          .then((r) => r.text())
          .then((t) => (queued = Number(/^rewarddance_queue_depth\{model="judge"\} (\d+)$/m.exec(t)?.[1] ?? 0)))
          .catch(() => undefined);
      }, 10);
      try {
        await waitFor(() => judge.requests.length + queued >= 16, 'all requests to reach the server');
      } finally {
        clearInterval(probe);
      }
      child.kill('SIGTERM');
      const answers = await Promise.all(inFlight);
      expect(answers.map((a) => a.status)).toEqual(new Array(16).fill(200));
      for (const a of answers) expect((a.json.results as { reward: number }[])[0]!.reward).toBeGreaterThan(0);
      expect(await exited).toBe(0);
      expect(stderr).toMatch(/SIGTERM: draining in-flight requests/);
      expect(stderr).toMatch(/drained; bye/);
      await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('warns when opened beyond loopback without a token, and refuses a missing model', async () => {
    const bad = spawn(process.execPath, [CLI, 'serve', '--model', 'no/such/folder'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    bad.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => bad.on('exit', resolve));
    expect(code).toBe(1);
    expect(err).toMatch(/unknown reward model 'no\/such\/folder'/);

    const open = spawn(process.execPath, [CLI, 'serve', '--model', `${judge.url}/v1?model=judge`, '--host', '0.0.0.0', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    open.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor(() => /at http/.test(out), 'the server to listen', 20_000);
      expect(out).toMatch(/warning: listening on 0\.0\.0\.0 without --token/);
    } finally {
      open.kill('SIGTERM');
      await new Promise((resolve) => open.on('exit', resolve));
    }
  });
});
