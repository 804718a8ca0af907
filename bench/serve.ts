/**
 * npm run bench:serve [-- --json] [--seconds 60] [--cost sleep|busy] [--max-batch 32]
 * The reward server under 32 concurrent clients (autocannon on 127.0.0.1): requests per
 * second with dynamic batching, with batching off (max batch 1), and the in-process batched
 * scoring rate of the same model; p50/p99 latency, errors, and RSS growth of the server
 * process over the batched run (from 2 s in, after a forced GC at both ends; the V8 heap
 * retained after GC is printed beside it to tell a leak from allocator warm-up). One item (a 64x64 PNG) per request, as an RL reward function
 * sends. The server runs in a child process so the load generator does not share its event
 * loop.
 *
 * THE MODEL IS A TEST DOUBLE (src/serve/test-models.ts), not the tiny VLM, which is not built
 * yet: each batch costs 20 ms + 1 ms per item (VLM_LIKE_COST), spent sleeping (`--cost sleep`,
 * like compute off the event loop) or busy-waiting (`--cost busy`, like a synchronous native
 * forward pass on the main thread). Rerun with the real model once it can be served.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { blankImage, encodePng, imageMedia } from '../src/data/image.js';
import type { RewardQuery } from '../src/rewards/types.js';
import { buildServer } from '../src/serve/app.js';
import { TestRewardModel, VLM_LIKE_COST, type BatchCost } from '../src/serve/test-models.js';

/** The load: 32 concurrent clients. */
const CONNECTIONS = 32;
/** Batch size for the in-process rate and (unless --max-batch) the batched server: the client count. */
const MAX_BATCH = 32;
/** Batching window: short next to the 20 ms fixed cost of a batch. */
const MAX_WAIT_MS = 5;
/** Default length of the batched run (the 60 s soak). */
const DEFAULT_SECONDS = 60;
/** The unbatched and in-process runs are rates, not soaks: they need less time. */
const UNBATCHED_MAX_S = 10;
const IN_PROCESS_MAX_S = 5;
/** RSS is compared from this long into the batched run (after JIT and pool warm-up). */
const RSS_WARMUP_S = 2;
/** RSS sampling period during the batched run. */
const RSS_SAMPLE_S = 10;
/** Candidate size: 64x64 RGB, a small generated image. */
const SIZE = 64;
/** Targets from issue 8. */
const TARGET_BATCHING_SPEEDUP = 3;
const TARGET_SHARE_OF_IN_PROCESS = 0.8;

interface Args {
  seconds: number;
  maxBatch: number;
  json: boolean;
  cost: BatchCost;
}

function parseArgs(argv: readonly string[]): Args {
  let seconds = DEFAULT_SECONDS;
  let json = false;
  let maxBatch = MAX_BATCH;
  let kind: BatchCost['kind'] = VLM_LIKE_COST.kind;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') json = true;
    else if (a === '--seconds') {
      seconds = Number(argv[++i]);
      if (!Number.isFinite(seconds) || seconds < 1) throw new Error(`--seconds must be a number >= 1, got '${argv[i]}'`);
    } else if (a === '--max-batch') {
      maxBatch = Number(argv[++i]);
      if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new Error(`--max-batch must be an integer >= 1, got '${argv[i]}'`);
    } else if (a === '--cost') {
      const v = argv[++i];
      if (v !== 'sleep' && v !== 'busy') throw new Error(`--cost must be sleep or busy, got '${v}'`);
      kind = v;
    } else if (a !== '--child') throw new Error(`unknown option '${a}'; known: --seconds N, --json, --cost sleep|busy, --max-batch N`);
  }
  return { seconds, json, maxBatch, cost: { ...VLM_LIKE_COST, kind } };
}

/** Child: serve the test model, report the URL, answer RSS probes, exit when told. */
async function child(): Promise<void> {
  const maxBatch = Number(process.env.BENCH_MAX_BATCH);
  const cost = JSON.parse(process.env.BENCH_COST!) as BatchCost;
  const server = await buildServer({
    models: [{ id: 'test-double', reward: new TestRewardModel({ id: 'test-double', cost }) }],
    batching: { maxBatch, maxWaitMs: MAX_WAIT_MS, maxQueue: 4096, timeoutMs: 30_000 },
  });
  const url = await server.listen(0, '127.0.0.1');
  process.on('message', (m: string) => {
    if (m === 'rss') {
      // Collect first (the child runs with --expose-gc) so the heap figure shows what is retained.
      (globalThis as { gc?: () => void }).gc?.();
      process.send!({ rss: { rss: process.memoryUsage.rss(), heap: process.memoryUsage().heapUsed } });
    }
    if (m === 'cpu') {
      const c = process.cpuUsage();
      process.send!({ cpu: (c.user + c.system) / 1000 });
    }
    if (m === 'stop') void server.close().then(() => process.exit(0));
  });
  process.send!({ url });
}

interface LoadResult {
  rps: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  rssGrowthMb: number;
  /** Growth of the V8 heap after a full GC over the same span (retained objects). */
  heapGrowthMb: number;
  /** RSS every RSS_SAMPLE_S seconds of the run, MB (flat once warm if nothing leaks). */
  rssSeriesMb: number[];
  /** Server process CPU per answered request, ms (contention-independent cost). */
  cpuMsPerRequest: number;
}

interface Memory {
  rss: number;
  heap: number;
}
const MB = 1024 * 1024;

function ask<T>(proc: ReturnType<typeof fork>, msg: string, key: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: Record<string, unknown>): void => {
      if (key in m) {
        proc.off('message', on);
        resolve(m[key] as T);
      }
    };
    proc.on('message', on);
    if (msg) proc.send(msg);
  });
}

/** Starts a server child with `maxBatch`, loads it for `seconds`, stops it. */
async function loadServer(maxBatch: number, seconds: number, cost: BatchCost, body: string): Promise<LoadResult> {
  const proc = fork(fileURLToPath(import.meta.url), ['--child'], { env: { ...process.env, BENCH_MAX_BATCH: String(maxBatch), BENCH_COST: JSON.stringify(cost) }, stdio: 'inherit', execArgv: ['--expose-gc'] });
  const url = await ask<string>(proc, '', 'url');
  const cpuStart = await ask<number>(proc, 'cpu', 'cpu');
  let memStart: Memory | undefined;
  const warm = setTimeout(() => void ask<Memory>(proc, 'rss', 'rss').then((r) => (memStart = r)), Math.min(RSS_WARMUP_S, seconds / 2) * 1000);
  const series: number[] = [];
  const sampler = setInterval(() => void ask<Memory>(proc, 'rss', 'rss').then((r) => series.push(Math.round((r.rss / MB) * 10) / 10)), RSS_SAMPLE_S * 1000);
  const result = await autocannon({
    url: `${url}/v1/rewards`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: CONNECTIONS,
    duration: seconds,
  });
  clearTimeout(warm);
  clearInterval(sampler);
  const memEnd = await ask<Memory>(proc, 'rss', 'rss');
  const cpuEnd = await ask<number>(proc, 'cpu', 'cpu');
  proc.send('stop');
  await new Promise((r) => proc.once('exit', r));
  const total = result.requests.total;
  return {
    rps: total / seconds,
    errors: result.errors + result.timeouts + result.non2xx,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    rssGrowthMb: memStart ? (memEnd.rss - memStart.rss) / MB : 0,
    heapGrowthMb: memStart ? (memEnd.heap - memStart.heap) / MB : 0,
    rssSeriesMb: series,
    cpuMsPerRequest: total ? (cpuEnd - cpuStart) / total : 0,
  };
}

/** In-process: batches of MAX_BATCH decoded queries straight into model.score. */
async function inProcessRate(seconds: number, cost: BatchCost): Promise<number> {
  const model = new TestRewardModel({ cost });
  const q: RewardQuery = { task: 't2i', prompt: 'a red cube left of a blue sphere', candidate: imageMedia(blankImage(SIZE, SIZE, [200, 40, 40])) };
  const batch = new Array<RewardQuery>(MAX_BATCH).fill(q);
  let items = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    await model.score(batch);
    items += batch.length;
  }
  return items / ((performance.now() - t0) / 1000);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const png = encodePng(blankImage(SIZE, SIZE, [200, 40, 40])).toString('base64');
  const body = JSON.stringify({ items: [{ task: 't2i', prompt: 'a red cube left of a blue sphere', image: png }] });
  const log = (s: string): void => void (args.json ? process.stderr : process.stdout).write(s + '\n');
  log(`bench:serve: TEST-DOUBLE model (not the tiny VLM): ${args.cost.fixedMs} ms + ${args.cost.perItemMs} ms/item per batch, '${args.cost.kind}' cost; ${CONNECTIONS} clients, 1 item a request`);
  const inProcessRps = await inProcessRate(Math.min(args.seconds, IN_PROCESS_MAX_S), args.cost);
  log(`in-process batched scoring (batch ${MAX_BATCH}): ${inProcessRps.toFixed(0)} items/s`);
  const unbatched = await loadServer(1, Math.min(args.seconds, UNBATCHED_MAX_S), args.cost, body);
  log(`server, batching off: ${unbatched.rps.toFixed(0)} req/s, p50 ${unbatched.p50Ms} ms, p99 ${unbatched.p99Ms} ms, errors ${unbatched.errors}`);
  const batched = await loadServer(args.maxBatch, args.seconds, args.cost, body);
  log(`server, batching on (max ${args.maxBatch}, wait ${MAX_WAIT_MS} ms), ${args.seconds} s: ${batched.rps.toFixed(0)} req/s, p50 ${batched.p50Ms} ms, p99 ${batched.p99Ms} ms, errors ${batched.errors}, RSS growth ${batched.rssGrowthMb.toFixed(1)} MB (heap after GC ${batched.heapGrowthMb.toFixed(1)} MB), server CPU ${batched.cpuMsPerRequest.toFixed(2)} ms/request`);
  if (batched.rssSeriesMb.length) log(`server RSS every ${RSS_SAMPLE_S} s: ${batched.rssSeriesMb.join(', ')} MB`);
  const speedup = batched.rps / unbatched.rps;
  const share = batched.rps / inProcessRps;
  log(`batching speed-up ${speedup.toFixed(1)}x (target >= ${TARGET_BATCHING_SPEEDUP}x); ${(share * 100).toFixed(0)}% of in-process rate (target >= ${TARGET_SHARE_OF_IN_PROCESS * 100}%)`);
  if (args.json) {
    process.stdout.write(
      JSON.stringify({
        batchedRps: batched.rps,
        unbatchedRps: unbatched.rps,
        inProcessRps,
        errors: batched.errors + unbatched.errors,
        p50Ms: batched.p50Ms,
        p99Ms: batched.p99Ms,
        rssGrowthMb: batched.rssGrowthMb,
        heapGrowthMb: batched.heapGrowthMb,
        rssSeriesMb: batched.rssSeriesMb,
        serverCpuMsPerRequest: batched.cpuMsPerRequest,
        model: 'test-double',
        cost: args.cost,
        seconds: args.seconds,
      }) + '\n',
    );
  }
}

if (process.argv.includes('--child')) await child();
else await main();
