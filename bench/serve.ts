/**
 * npm run bench:serve [-- --json] [--seconds 60] [--model real|double] [--preset rd-m]
 *                     [--model-thread worker|main] [--threads 1] [--max-batch 32] [--cost sleep|busy]
 * The reward server under 32 concurrent clients (autocannon on 127.0.0.1, one item a request,
 * as an RL reward function sends): requests per second with dynamic batching, with batching
 * off (max batch 1), and the in-process batched scoring rate of the same model (batches of 32
 * decoded queries straight into model.score, same libtorch thread count; also one query at a
 * time, inProcessUnbatchedRps: the model's own gain from batching bounds the server's); p50/p99 latency,
 * errors, and RSS growth of the server process over the batched run (from 2 s in, after a
 * forced GC at both ends; the V8 heap retained after GC is printed beside it to tell a leak
 * from allocator warm-up). The server and the in-process run each get their own child
 * process; the load generator stays in this one (on 2 cores it shares them with the server).
 *
 * `--model real` (default): the tiny generative VLM (src/rewards/generative.ts) at `--preset`
 * (default rd-m, 0.25M parameters), pointwise, instruction context, random weights saved to a
 * temporary checkpoint (speed does not depend on training); each request carries one 32x32
 * PNG (the model's input size) of seeded noise. `--model double`: the server's test double
 * (src/serve/test-models.ts), 20 ms + 1 ms per item a batch, sleeping or busy-waiting, one
 * 64x64 PNG a request. `--model-thread worker` (default) runs the model in a worker thread
 * (src/serve/worker-model.ts) with `--threads` libtorch threads; `main` runs it on the event loop.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { blankImage, encodePng, imageMedia, type RgbImage } from '../src/data/image.js';
import type { RewardModel, RewardQuery } from '../src/rewards/types.js';
import { buildServer } from '../src/serve/app.js';
import type { ServedModel } from '../src/serve/registry.js';
import { TestRewardModel, VLM_LIKE_COST, type BatchCost } from '../src/serve/test-models.js';
import { WorkerRewardModel } from '../src/serve/worker-model.js';

/** The load: 32 concurrent clients. */
const CONNECTIONS = 32;
/** Batch size for the in-process rate and (unless --max-batch) the batched server: the client count. */
const MAX_BATCH = 32;
/** Batching window: short next to a batch's forward pass. */
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
/** The test double's image: 64x64 RGB (as in the first benchmark). The real model takes its own input size. */
const DOUBLE_SIZE = 64;
const PROMPT = 'a photo of two red stars left of a blue ring';
/** Targets from issue 8. */
const TARGET_BATCHING_SPEEDUP = 3;
const TARGET_SHARE_OF_IN_PROCESS = 0.8;
const MB = 1024 * 1024;

type ModelKind = 'real' | 'double';
type ModelThread = 'worker' | 'main';

/** What a child process needs to build the model (sent through the environment as JSON). */
interface ModelSpec {
  readonly kind: ModelKind;
  /** Checkpoint folder (real model). */
  readonly dir?: string;
  readonly cost: BatchCost;
  readonly thread: ModelThread;
  readonly threads: number;
}

interface Args {
  seconds: number;
  maxBatch: number;
  json: boolean;
  model: ModelKind;
  preset: string;
  thread: ModelThread;
  threads: number;
  cost: BatchCost;
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { seconds: DEFAULT_SECONDS, maxBatch: MAX_BATCH, json: false, model: 'real', preset: 'rd-m', thread: 'worker', threads: 1, cost: VLM_LIKE_COST };
  const int = (name: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got '${v}'`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = (): string | undefined => argv[++i];
    if (k === '--json') a.json = true;
    else if (k === '--seconds') a.seconds = int('seconds', v(), 1);
    else if (k === '--max-batch') a.maxBatch = int('max-batch', v(), 1);
    else if (k === '--threads') a.threads = int('threads', v(), 1);
    else if (k === '--preset') a.preset = v() ?? '';
    else if (k === '--model') {
      const m = v();
      if (m !== 'real' && m !== 'double') throw new Error(`--model must be real or double, got '${m}'`);
      a.model = m;
    } else if (k === '--model-thread') {
      const t = v();
      if (t !== 'worker' && t !== 'main') throw new Error(`--model-thread must be worker or main, got '${t}'`);
      a.thread = t;
    } else if (k === '--cost') {
      const c = v();
      if (c !== 'sleep' && c !== 'busy') throw new Error(`--cost must be sleep or busy, got '${c}'`);
      a.cost = { ...VLM_LIKE_COST, kind: c };
    } else throw new Error(`unknown option '${k}'; known: --seconds N, --json, --model real|double, --preset NAME, --model-thread worker|main, --threads N, --max-batch N, --cost sleep|busy`);
  }
  return a;
}

/** A deterministic noisy image (PNG-compresses like a generated sample, not like a flat fill). */
function noiseImage(size: number): RgbImage {
  const img = blankImage(size, size);
  let s = 12345;
  for (let i = 0; i < img.data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    img.data[i] = (s >>> 16) & 0xff;
  }
  return img;
}

/** Writes a random-weight checkpoint of the tiny VLM at `preset` (pointwise, instruction context). */
async function makeCheckpoint(preset: string): Promise<{ dir: string; imageSize: number; parameters: number }> {
  const [{ vlmConfig }, { TinyVlm }, { saveCheckpoint }, { SPECIAL_TOKENS }, { defaultVocabulary }, { DEFAULT_CONTEXT }, { vlmPreset }, { manualSeed }] = await Promise.all([
    import('../src/models/vlm/config.js'),
    import('../src/models/vlm/model.js'),
    import('../src/nn/index.js'),
    import('../src/data/tokenizer.js'),
    import('../src/train/reward/pretrain-data.js'),
    import('../src/models/vlm/prompting.js'),
    import('../src/presets/vlm.js'),
    import('../src/tensor/index.js'),
  ]);
  manualSeed(0);
  const config = vlmConfig({ ...vlmPreset(preset), vocab: [...SPECIAL_TOKENS, ...defaultVocabulary()] });
  const model = new TinyVlm(config);
  const dir = join(mkdtempSync(join(tmpdir(), 'rd-bench-serve-')), preset);
  saveCheckpoint(dir, { config: { ...config, paradigm: 'pointwise', context: { ...DEFAULT_CONTEXT, reference: false } }, model });
  const parameters = model.parameterCount();
  model.dispose();
  return { dir, imageSize: config.imageSize, parameters };
}

/** The model a child serves or scores: in this thread, or in a worker thread. */
async function buildModel(spec: ModelSpec): Promise<RewardModel> {
  if (spec.thread === 'worker') {
    const source =
      spec.kind === 'real'
        ? { kind: 'checkpoint' as const, dir: spec.dir! }
        : { kind: 'module' as const, url: pathToFileURL(join(import.meta.dirname, '..', 'src', 'serve', 'test-models.js')).href, exportName: 'createTestRewardModel', options: { id: 'test-double', cost: spec.cost } };
    return WorkerRewardModel.start({ source, threads: spec.threads });
  }
  if (spec.kind === 'double') return new TestRewardModel({ id: 'test-double', cost: spec.cost });
  const { setNumThreads } = await import('../src/tensor/index.js');
  setNumThreads(spec.threads);
  const { LocalVlmRewardModel } = await import('../src/rewards/generative.js');
  return LocalVlmRewardModel.load(spec.dir!);
}

function served(model: RewardModel): ServedModel {
  return { id: model.id, reward: model };
}

/** Child: serve the model, report the URL, answer RSS and CPU probes, exit when told. */
async function serverChild(): Promise<void> {
  const spec = JSON.parse(process.env.BENCH_SPEC!) as ModelSpec;
  const maxBatch = Number(process.env.BENCH_MAX_BATCH);
  const server = await buildServer({ models: [served(await buildModel(spec))], batching: { maxBatch, maxWaitMs: MAX_WAIT_MS, maxQueue: 4096, timeoutMs: 30_000 } });
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

/** Child: batches of MAX_BATCH decoded queries straight into model.score for `seconds`, then single queries for the same time. */
async function inProcessChild(): Promise<void> {
  const spec = JSON.parse(process.env.BENCH_SPEC!) as ModelSpec;
  const seconds = Number(process.env.BENCH_SECONDS);
  const size = Number(process.env.BENCH_IMAGE_SIZE);
  const model = await buildModel({ ...spec, thread: 'main' });
  const q: RewardQuery = { task: 't2i', prompt: PROMPT, candidate: imageMedia(spec.kind === 'real' ? noiseImage(size) : blankImage(size, size, [200, 40, 40])) };
  const rate = async (n: number): Promise<number> => {
    const batch = new Array<RewardQuery>(n).fill(q);
    await model.score(batch); // warm-up: first-call allocations and JIT
    let items = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) {
      await model.score(batch);
      items += batch.length;
    }
    return items / ((performance.now() - t0) / 1000);
  };
  const batched = await rate(MAX_BATCH);
  const single = await rate(1);
  await model.close?.();
  process.send!({ rates: { batched, single } }, () => process.exit(0));
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
  /** Server process CPU per answered request, ms (main thread and model worker together). */
  cpuMsPerRequest: number;
  /** Mean items per model call over the run, from the server's /metrics (batch-size histogram). */
  meanBatch: number;
  /** Mean time of one model call as the server sees it (worker round trip included), ms. */
  meanBatchMs: number;
}

interface Memory {
  rss: number;
  heap: number;
}

function ask<T>(proc: ReturnType<typeof fork>, msg: string, key: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const on = (m: Record<string, unknown>): void => {
      if (key in m) {
        proc.off('message', on);
        proc.off('exit', onExit);
        resolve(m[key] as T);
      }
    };
    const onExit = (code: number | null): void => reject(new Error(`bench child exited (code ${code}) before answering '${key}'`));
    proc.on('message', on);
    proc.once('exit', onExit);
    if (msg) proc.send(msg);
  });
}

function child(role: 'server' | 'inprocess', env: Record<string, string>): ReturnType<typeof fork> {
  return fork(fileURLToPath(import.meta.url), ['--child', role], { env: { ...process.env, ...env }, stdio: 'inherit', execArgv: ['--expose-gc'] });
}

/** Sum and count of the server's batch-size histogram (all models), scraped from /metrics. */
async function batchTotals(url: string): Promise<{ sum: number; count: number; seconds: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const read = (name: string): number =>
    text
      .split('\n')
      .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
      .reduce((t, l) => t + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  return { sum: read('rewarddance_batch_size_sum'), count: read('rewarddance_batch_size_count'), seconds: read('rewarddance_batch_duration_seconds_sum') };
}

/** Starts a server child with `maxBatch`, loads it for `seconds`, stops it. */
async function loadServer(spec: ModelSpec, maxBatch: number, seconds: number, body: string): Promise<LoadResult> {
  const proc = child('server', { BENCH_SPEC: JSON.stringify(spec), BENCH_MAX_BATCH: String(maxBatch) });
  const url = await ask<string>(proc, '', 'url');
  // A short warm-up (JIT, first allocations, worker caches) that the rates do not count.
  await autocannon({ url: `${url}/v1/rewards`, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: CONNECTIONS, amount: CONNECTIONS * 4 });
  const cpuStart = await ask<number>(proc, 'cpu', 'cpu');
  const batchStart = await batchTotals(url);
  let memStart: Memory | undefined;
  const warm = setTimeout(() => void ask<Memory>(proc, 'rss', 'rss').then((r) => (memStart = r)), Math.min(RSS_WARMUP_S, seconds / 2) * 1000);
  const series: number[] = [];
  const sampler = setInterval(() => void ask<Memory>(proc, 'rss', 'rss').then((r) => series.push(Math.round((r.rss / MB) * 10) / 10)), RSS_SAMPLE_S * 1000);
  const result = await autocannon({ url: `${url}/v1/rewards`, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: CONNECTIONS, duration: seconds });
  clearTimeout(warm);
  clearInterval(sampler);
  const memEnd = await ask<Memory>(proc, 'rss', 'rss');
  const cpuEnd = await ask<number>(proc, 'cpu', 'cpu');
  const batchEnd = await batchTotals(url);
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
    meanBatch: batchEnd.count > batchStart.count ? (batchEnd.sum - batchStart.sum) / (batchEnd.count - batchStart.count) : 0,
    meanBatchMs: batchEnd.count > batchStart.count ? ((batchEnd.seconds - batchStart.seconds) * 1000) / (batchEnd.count - batchStart.count) : 0,
  };
}

async function inProcessRates(spec: ModelSpec, seconds: number, imageSize: number): Promise<{ batched: number; single: number }> {
  const proc = child('inprocess', { BENCH_SPEC: JSON.stringify(spec), BENCH_SECONDS: String(seconds), BENCH_IMAGE_SIZE: String(imageSize) });
  const rates = await ask<{ batched: number; single: number }>(proc, '', 'rates');
  await new Promise((r) => proc.once('exit', r));
  return rates;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const log = (s: string): void => void (args.json ? process.stderr : process.stdout).write(s + '\n');
  const loadBefore = loadavg()[0]!;
  let spec: ModelSpec;
  let imageSize: number;
  let describe: string;
  let cleanup = (): void => undefined;
  if (args.model === 'real') {
    const ck = await makeCheckpoint(args.preset);
    spec = { kind: 'real', dir: ck.dir, cost: args.cost, thread: args.thread, threads: args.threads };
    imageSize = ck.imageSize;
    describe = `tiny VLM ${args.preset} (${ck.parameters} parameters, pointwise, random weights), ${imageSize}x${imageSize} noise PNG`;
    cleanup = () => rmSync(join(ck.dir, '..'), { recursive: true, force: true });
  } else {
    spec = { kind: 'double', cost: args.cost, thread: args.thread, threads: args.threads };
    imageSize = DOUBLE_SIZE;
    describe = `TEST DOUBLE (${args.cost.fixedMs} ms + ${args.cost.perItemMs} ms/item a batch, '${args.cost.kind}'), ${imageSize}x${imageSize} PNG`;
  }
  const image = args.model === 'real' ? noiseImage(imageSize) : blankImage(imageSize, imageSize, [200, 40, 40]);
  const body = JSON.stringify({ items: [{ task: 't2i', prompt: PROMPT, image: encodePng(image).toString('base64') }] });
  log(`bench:serve: ${describe}; model on the ${args.thread === 'worker' ? 'worker thread' : 'main thread'}, ${args.threads} libtorch thread(s), OPENBLAS_NUM_THREADS=${process.env.OPENBLAS_NUM_THREADS ?? '(unset)'}; ${CONNECTIONS} clients, 1 item a request; load average ${loadBefore.toFixed(2)}`);
  try {
    const inProcess = await inProcessRates(spec, Math.min(args.seconds, IN_PROCESS_MAX_S), imageSize);
    const inProcessRps = inProcess.batched;
    log(`in-process scoring (decoded queries): batches of ${MAX_BATCH} ${inProcessRps.toFixed(0)} items/s, one at a time ${inProcess.single.toFixed(0)} items/s (the model's own batching gain: ${(inProcessRps / inProcess.single).toFixed(1)}x)`);
    const unbatched = await loadServer(spec, 1, Math.min(args.seconds, UNBATCHED_MAX_S), body);
    log(`server, batching off: ${unbatched.rps.toFixed(0)} req/s, p50 ${unbatched.p50Ms} ms, p99 ${unbatched.p99Ms} ms, errors ${unbatched.errors}`);
    const batched = await loadServer(spec, args.maxBatch, args.seconds, body);
    log(
      `server, batching on (max ${args.maxBatch}, wait ${MAX_WAIT_MS} ms), ${args.seconds} s: ${batched.rps.toFixed(0)} req/s, p50 ${batched.p50Ms} ms, p99 ${batched.p99Ms} ms, errors ${batched.errors}, ` +
        `RSS growth ${batched.rssGrowthMb.toFixed(1)} MB (heap after GC ${batched.heapGrowthMb.toFixed(1)} MB), server CPU ${batched.cpuMsPerRequest.toFixed(2)} ms/request, mean batch ${batched.meanBatch.toFixed(1)} items in ${batched.meanBatchMs.toFixed(1)} ms`,
    );
    if (batched.rssSeriesMb.length) log(`server RSS every ${RSS_SAMPLE_S} s: ${batched.rssSeriesMb.join(', ')} MB`);
    const speedup = batched.rps / unbatched.rps;
    const share = batched.rps / inProcessRps;
    const loadAfter = loadavg()[0]!;
    log(`batching speed-up ${speedup.toFixed(1)}x (target >= ${TARGET_BATCHING_SPEEDUP}x); ${(share * 100).toFixed(0)}% of in-process rate (target >= ${TARGET_SHARE_OF_IN_PROCESS * 100}%); load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after (this benchmark alone adds about 2)`);
    if (args.json) {
      process.stdout.write(
        JSON.stringify({
          batchedRps: batched.rps,
          unbatchedRps: unbatched.rps,
          inProcessRps,
          inProcessUnbatchedRps: inProcess.single,
          errors: batched.errors + unbatched.errors,
          p50Ms: batched.p50Ms,
          p99Ms: batched.p99Ms,
          rssGrowthMb: batched.rssGrowthMb,
          heapGrowthMb: batched.heapGrowthMb,
          rssSeriesMb: batched.rssSeriesMb,
          serverCpuMsPerRequest: batched.cpuMsPerRequest,
          meanBatch: batched.meanBatch,
          meanBatchMs: batched.meanBatchMs,
          unbatchedMeanBatch: unbatched.meanBatch,
          unbatchedP50Ms: unbatched.p50Ms,
          model: args.model === 'real' ? `tiny-vlm:${args.preset}` : 'test-double',
          modelThread: args.thread,
          threads: args.threads,
          ...(args.model === 'double' ? { cost: args.cost } : {}),
          seconds: args.seconds,
          loadAverage: [loadBefore, loadAfter],
        }) + '\n',
      );
    }
  } finally {
    cleanup();
  }
}

const role = process.argv.includes('--child') ? process.argv[process.argv.indexOf('--child') + 1] : undefined;
if (role === 'server') await serverChild();
else if (role === 'inprocess') await inProcessChild();
else await main();
