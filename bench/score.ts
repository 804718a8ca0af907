/**
 * npm run bench:score [-- --json] [--queries 4096] [--inflight 64] [--shared-only] [--model DIR]
 * Scoring benchmarks (issue 5). Remote half: the remote OpenAI-compatible client's own cost
 * per query at 64 requests in flight against a loopback server that answers at once with a
 * fixed vLLM-shaped body. The server runs in a child process so the client's CPU time can be
 * measured alone: remoteClientOverheadMs = client CPU milliseconds per query (building the
 * RewardDance prompt, PNG data URLs, JSON, HTTP, reading logprobs). A plain `fetch` loop
 * over the same bodies is the floor for HTTP alone. Shared-prefix half (alone with
 * --shared-only): 16 candidates against one reference with the shipped rd-m reward model
 * (models/rd-rm-tiny, or --model DIR), scored with the prefix (instruction, prompt, reference)
 * run once and its keys/values reused, against 16 independent forwards run one by one and as
 * one batch, in interleaved rounds; sharedPrefixSpeedup = the faster independent way's time /
 * shared time (median over rounds), maxAbsDiff over every score field against both ways.
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { blankImage, imageMedia } from '../src/data/image.js';
import { loadVlmCheckpoint } from '../src/rewards/generative.js';
import { createRemoteRewardModel } from '../src/rewards/remote.js';
import { vllmChatCompletion } from '../src/rewards/replay-server.js';
import type { RewardQuery } from '../src/rewards/types.js';
import { SPECIAL_TOKENS } from '../src/data/tokenizer.js';
import { vlmConfig } from '../src/models/vlm/config.js';
import { TinyVlm } from '../src/models/vlm/model.js';
import { DEFAULT_CONTEXT, type VlmQuestion } from '../src/models/vlm/prompting.js';
import { VlmScorer, type VlmScore } from '../src/models/vlm/scorer.js';
import { VLM_PRESETS } from '../src/presets/vlm.js';
import { manualSeed, setNumThreads } from '../src/tensor/index.js';
import { defaultVocabulary } from '../src/train/reward/pretrain-data.js';
import { Rng } from '../src/util/rng.js';
import { median } from './lib.js';

/** Candidates scored against one reference in the shared-prefix benchmark (the 16). */
const SHARED_CANDIDATES = 16;
/** The targets: at least 2x faster than independent forwards, equal within 1e-5. */
const TARGET_SHARED_SPEEDUP = 2;
const TARGET_MAX_DIFF = 1e-5;
/** Measured rounds; each runs the shared pass, the one-by-one forwards and the batched forward once, in rotating order. */
const SHARED_ROUNDS = 21;
/** The reward model the shared-prefix half scores with (its weights do not change the timings, but do the differences): from dist/bench or from bench. */
const SHIPPED_RM = ['../../models/rd-rm-tiny', '../models/rd-rm-tiny'].map((p) => fileURLToPath(new URL(p, import.meta.url))).find((p) => existsSync(p)) ?? null;

interface SharedBench {
  model: string;
  /** Median over rounds of min(one-by-one, batched) / shared, wall clock: the speed-up over the faster independent way. */
  sharedPrefixSpeedup: number;
  speedupVsOneByOne: number;
  speedupVsBatched: number;
  /** The same ratios on process CPU time (steadier than wall clock on a busy machine). */
  cpuSpeedup: number;
  /** Smallest and largest per-round wall-clock speed-up over the faster independent way. */
  speedupRange: [number, number];
  maxAbsDiff: number;
  sharedMs: number;
  oneByOneMs: number;
  batchedMs: number;
}

/** Times shared-prefix scoring against independent forwards (one by one and batched) on the shipped rd-m reward model, or a random rd-m where it is absent. */
function sharedPrefixBench(modelDir: string | null): SharedBench {
  setNumThreads(1);
  manualSeed(0);
  const dir = modelDir ?? SHIPPED_RM;
  const loaded = dir ? loadVlmCheckpoint(dir) : { model: new TinyVlm(vlmConfig({ ...VLM_PRESETS['rd-m'], vocab: [...SPECIAL_TOKENS, ...defaultVocabulary()] })), paradigm: 'pairwise' as const, context: DEFAULT_CONTEXT };
  const model = loaded.model;
  const scorer = new VlmScorer(model, loaded.paradigm, loaded.context);
  const size = model.config.imageSize;
  const rng = new Rng(1);
  const img = (): ReturnType<typeof blankImage> => {
    const b = blankImage(size, size, [rng.int(0, 256), rng.int(0, 256), rng.int(0, 256)]);
    for (let i = 0; i < b.data.length; i += 5) b.data[i] = rng.int(0, 256);
    return b;
  };
  const reference = imageMedia(img());
  const qs: VlmQuestion[] = Array.from({ length: SHARED_CANDIDATES }, () => ({ task: 't2i', prompt: 'a photo of two red stars left of a blue ring', criteria: 'alignment', reference, candidate: imageMedia(img()) }));
  const cpuMs = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const runs = {
    shared: () => scorer.scoreShared(qs[0]!, qs.map((q) => q.candidate)),
    oneByOne: () => qs.flatMap((q) => scorer.score([q])),
    batched: () => scorer.score(qs),
  };
  type Way = keyof typeof runs;
  const ways = Object.keys(runs) as Way[];
  // equality on the same inputs: the shared pass against both independent ways, every field
  const got = Object.fromEntries(ways.map((w) => [w, runs[w]()])) as Record<Way, VlmScore[]>;
  let maxAbsDiff = 0;
  for (const w of ['oneByOne', 'batched'] as const)
    got.shared.forEach((s, i) => {
      const r = got[w][i]!;
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(s.reward - r.reward), Math.abs(s.pYesVocab - r.pYesVocab), Math.abs(s.logitYes - r.logitYes), Math.abs(s.logitNo - r.logitNo));
    });
  if (got.shared.length !== SHARED_CANDIDATES) throw new Error(`bench: shared scoring returned ${got.shared.length} scores for ${SHARED_CANDIDATES} candidates`);
  // interleaved rounds, so load from other processes falls on all three ways alike
  const wall: Record<Way, number[]> = { shared: [], oneByOne: [], batched: [] };
  const cpu: Record<Way, number[]> = { shared: [], oneByOne: [], batched: [] };
  for (let r = 0; r < SHARED_ROUNDS; r++) {
    for (let j = 0; j < ways.length; j++) {
      const w = ways[(r + j) % ways.length]!;
      const c0 = cpuMs();
      const t0 = performance.now();
      runs[w]();
      wall[w].push(performance.now() - t0);
      cpu[w].push(cpuMs() - c0);
    }
  }
  model.dispose();
  const perRound = (t: Record<Way, number[]>, base: (i: number) => number): number[] => t.shared.map((s, i) => base(i) / s);
  const vsBest = perRound(wall, (i) => Math.min(wall.oneByOne[i]!, wall.batched[i]!));
  return {
    model: dir ? relative(process.cwd(), dir) || dir : 'random rd-m',
    sharedPrefixSpeedup: median(vsBest),
    speedupVsOneByOne: median(perRound(wall, (i) => wall.oneByOne[i]!)),
    speedupVsBatched: median(perRound(wall, (i) => wall.batched[i]!)),
    cpuSpeedup: median(perRound(cpu, (i) => Math.min(cpu.oneByOne[i]!, cpu.batched[i]!))),
    speedupRange: [Math.min(...vsBest), Math.max(...vsBest)],
    maxAbsDiff,
    sharedMs: median(wall.shared),
    oneByOneMs: median(wall.oneByOne),
    batchedMs: median(wall.batched),
  };
}

/** Queries per measured run: enough that per-query figures settle to ~1%. */
const DEFAULT_QUERIES = 4096;
/** The target: client overhead under 2 ms per query at 64 in flight. */
const DEFAULT_INFLIGHT = 64;
const TARGET_OVERHEAD_MS = 2;
/** Warm-up queries (JIT, connection pool) before measuring. */
const WARMUP = 512;
/** Candidate size: 64x64 RGB, a realistic small generated image for this project. */
const SIZE = 64;

interface ServerStats {
  requests: number;
  cpuMs: number;
}

/** Child process: a loopback server answering every POST with one fixed body. */
function serve(): void {
  const body = Buffer.from(
    JSON.stringify(
      vllmChatCompletion('bench/vlm', [
        { token: 'Yes', logprob: -0.105, top: [['Yes', -0.105], ['No', -2.59], ['yes', -4.6], [' Yes', -5.3], ['The', -7.8]] },
      ]),
    ),
  );
  let requests = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests++;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    });
  });
  let cpu0 = process.cpuUsage();
  server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
  process.on('message', (m: { cmd: string }) => {
    if (m.cmd === 'reset') {
      requests = 0;
      cpu0 = process.cpuUsage();
      process.send!({ ok: true });
    } else if (m.cmd === 'stats') {
      const d = process.cpuUsage(cpu0);
      process.send!({ requests, cpuMs: (d.user + d.system) / 1000 } satisfies ServerStats);
    } else if (m.cmd === 'exit') {
      server.close();
      process.exit(0);
    }
  });
}

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer`);
  return v;
}

/** Sends a command to the child and waits for its answer. */
function ask<T>(child: ReturnType<typeof fork>, cmd: string): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as T));
    child.send({ cmd });
  });
}

/** Distinct candidates (each encoded once, as new samples are), one shared reference. */
function makeQueries(n: number, offset: number): RewardQuery[] {
  const reference = imageMedia(blankImage(SIZE, SIZE, [200, 30, 30]));
  return Array.from({ length: n }, (_, i) => {
    const img = blankImage(SIZE, SIZE, [(i + offset) % 256, ((i + offset) >> 8) % 256, 90]);
    return { task: 't2i', prompt: 'a red circle left of a blue square', candidate: imageMedia(img), reference, criteria: 'alignment' };
  });
}

/** Runs fn, returning wall and own-process CPU milliseconds. */
async function measure(fn: () => Promise<void>): Promise<{ wallMs: number; cpuMs: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const d = process.cpuUsage(c0);
  return { wallMs: performance.now() - t0, cpuMs: (d.user + d.system) / 1000 };
}

/** The shared-prefix half of the output. */
function sharedOut(sp: SharedBench): Record<string, unknown> {
  return {
    model: sp.model,
    candidates: SHARED_CANDIDATES,
    rounds: SHARED_ROUNDS,
    sharedMs: round(sp.sharedMs),
    oneByOneMs: round(sp.oneByOneMs),
    batchedMs: round(sp.batchedMs),
    speedupVsOneByOne: round(sp.speedupVsOneByOne),
    speedupVsBatched: round(sp.speedupVsBatched),
    speedupRange: sp.speedupRange.map(round),
    cpuSpeedup: round(sp.cpuSpeedup),
    targetSpeedup: TARGET_SHARED_SPEEDUP,
    targetMaxAbsDiff: TARGET_MAX_DIFF,
    meetsTarget: sp.sharedPrefixSpeedup >= TARGET_SHARED_SPEEDUP && sp.maxAbsDiff < TARGET_MAX_DIFF,
  };
}

function sharedLine(sp: SharedBench): string {
  return (
    `shared prefix, ${SHARED_CANDIDATES} candidates vs one reference (${sp.model}, median of ${SHARED_ROUNDS} interleaved rounds): ${round(sp.sharedMs)} ms shared, ` +
    `${round(sp.oneByOneMs)} ms one by one (${round(sp.speedupVsOneByOne)}x), ${round(sp.batchedMs)} ms batched (${round(sp.speedupVsBatched)}x); ` +
    `speed-up over the faster independent way ${round(sp.sharedPrefixSpeedup)}x (rounds ${sp.speedupRange.map(round).join('-')}x, CPU time ${round(sp.cpuSpeedup)}x); max |diff| ${sp.maxAbsDiff.toExponential(2)}\n`
  );
}

const SHARED_NOTE =
  'sharedPrefixSpeedup = min(16 one-by-one forwards, one batched forward of all 16) / one shared-prefix pass, wall clock, median of interleaved rounds (1 torch thread); maxAbsDiff over reward, pYesVocab and both logits against both independent ways';

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const mi = process.argv.indexOf('--model');
  const modelDir = mi >= 0 ? (process.argv[mi + 1] ?? null) : null;
  if (process.argv.includes('--shared-only')) {
    // the shared-prefix half alone (no loopback server)
    const sp = sharedPrefixBench(modelDir);
    const out = { sharedPrefixSpeedup: round(sp.sharedPrefixSpeedup), maxAbsDiff: sp.maxAbsDiff, shared: sharedOut(sp), remoteClientOverheadMs: null, notes: [SHARED_NOTE] };
    process.stdout.write(json ? JSON.stringify(out, null, 2) + '\n' : sharedLine(sp));
    return;
  }
  const n = arg('queries', DEFAULT_QUERIES);
  const inflight = arg('inflight', DEFAULT_INFLIGHT);
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { port } = await new Promise<{ port: number }>((resolve) => child.once('message', (m) => resolve(m as { port: number })));
  const url = `http://127.0.0.1:${port}/v1`;
  try {
    const model = createRemoteRewardModel(`${url}?model=bench/vlm&concurrency=${inflight}`);
    await model.score(makeQueries(WARMUP, 1_000_000));

    const queries = makeQueries(n, 0);
    await ask(child, 'reset');
    let rewards: number[] = [];
    const client = await measure(async () => {
      rewards = (await model.score(queries)).map((r) => r.reward);
    });
    const server = await ask<ServerStats>(child, 'stats');
    if (server.requests !== n || rewards.some((r) => !(r > 0.9))) throw new Error(`bench: expected ${n} answered queries, server saw ${server.requests}`);

    // Floor: plain fetch of the same bodies (pre-built) at the same concurrency.
    const bodies = await Promise.all(queries.map(async (q) => JSON.stringify(await model.requestBody(q))));
    await ask(child, 'reset');
    const raw = await measure(async () => {
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < bodies.length) {
          const body = bodies[next++]!;
          const res = await fetch(`${url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
          JSON.parse(await res.text());
        }
      };
      await Promise.all(Array.from({ length: inflight }, worker));
    });
    const rawServer = await ask<ServerStats>(child, 'stats');

    const sp = sharedPrefixBench(modelDir);
    const out = {
      sharedPrefixSpeedup: round(sp.sharedPrefixSpeedup),
      maxAbsDiff: sp.maxAbsDiff,
      shared: sharedOut(sp),
      remoteClientOverheadMs: round(client.cpuMs / n),
      remote: {
        queries: n,
        inflight,
        requestBytes: Math.round(bodies.reduce((s, b) => s + b.length, 0) / n),
        clientCpuMsPerQuery: round(client.cpuMs / n),
        clientWallMsPerQuery: round(client.wallMs / n),
        queriesPerSecond: Math.round((n * 1000) / client.wallMs),
        serverCpuMsPerQuery: round(server.cpuMs / n),
        rawFetchCpuMsPerQuery: round(raw.cpuMs / n),
        rawFetchQueriesPerSecond: Math.round((n * 1000) / raw.wallMs),
        rawFetchServerCpuMsPerQuery: round(rawServer.cpuMs / n),
        targetMs: TARGET_OVERHEAD_MS,
        meetsTarget: client.cpuMs / n < TARGET_OVERHEAD_MS,
      },
      notes: [
        'remoteClientOverheadMs = client process CPU ms per query (prompt, PNG data URLs, JSON, HTTP, logprob parsing) with the loopback server in a child process',
        SHARED_NOTE,
      ],
    };
    if (json) process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    else {
      const r = out.remote;
      process.stdout.write(
        `remote client at ${inflight} in flight, ${n} queries of ${SIZE}x${SIZE} pairs (${r.requestBytes} B requests):\n` +
          `  client CPU ${r.clientCpuMsPerQuery} ms/query (target < ${TARGET_OVERHEAD_MS}: ${r.meetsTarget ? 'met' : 'MISSED'}), wall ${r.clientWallMsPerQuery} ms/query, ${r.queriesPerSecond} queries/s\n` +
          `  loopback server CPU ${r.serverCpuMsPerQuery} ms/query\n` +
          `  plain fetch of the same bodies: client CPU ${r.rawFetchCpuMsPerQuery} ms/query, ${r.rawFetchQueriesPerSecond} queries/s\n` +
          sharedLine(sp),
      );
    }
  } finally {
    child.send({ cmd: 'exit' });
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

if (process.argv.includes('--serve')) serve();
else await main();
