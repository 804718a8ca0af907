/**
 * npm run bench:core [-- --json] [--steps 200] [--twin-steps 40] [--threads 1] [--blas-threads 2]
 * The same transformer training step (d=128, 4 layers, 4 heads, seq 80 = 64 patches + 16 text
 * tokens, batch 32, vocab 512, AdamW + clipping) in rewarddance and in its PyTorch twin
 * (bench/twins/core_step.py), one after the other. Prints per-step medians, their ratio, model
 * FLOP utilisation against a measured matmul peak, and RSS growth after step 20 over the run.
 */
import { cat, F, manualSeed, randint, randn, setNumThreads, tidy, AdamW, clipGradNorm, type Tensor } from '../src/tensor/index.js';
import { Embedding, LayerNorm, Linear, Module, ModuleList, TransformerBlock } from '../src/nn/index.js';
import { matmulPeakGflops, median, parseArgs, rssMb, runTwin } from './lib.js';

const D = 128;
const LAYERS = 4;
const HEADS = 4;
const PATCHES = 64; // a 32x32 image in 4x4 patches
const TEXT = 16;
const BATCH = 32;
const VOCAB = 512;
const PATCH_DIM = 4 * 4 * 3;
const WARMUP = 5;
const RSS_BASELINE_STEP = 20;

class BenchModel extends Module {
  readonly patch = this.child('patch', new Linear(PATCH_DIM, D));
  readonly tok = this.child('tok', new Embedding(VOCAB, D));
  readonly pos = this.child('pos', new Embedding(PATCHES + TEXT, D));
  readonly blocks = this.child('blocks', new ModuleList(Array.from({ length: LAYERS }, () => new TransformerBlock(D, HEADS))));
  readonly ln = this.child('ln', new LayerNorm(D));
  readonly head = this.child('head', new Linear(D, VOCAB, { bias: false }));
  forward(patches: Tensor, tokens: Tensor, mask: Tensor): Tensor {
    let x = cat([this.patch.forward(patches), this.tok.forward(tokens)], 1).add(this.pos.weight); // (B, 80, D)
    for (const b of this.blocks.items) x = b.forward(x, mask);
    return this.head.forward(this.ln.forward(x.slice(1, PATCHES - 1, PATCHES + TEXT - 1))); // (B, 16, V)
  }
}

function main(): void {
  const { flags, values } = parseArgs(process.argv.slice(2));
  const steps = Number(values.get('steps') ?? 200);
  const twinSteps = Number(values.get('twin-steps') ?? 40);
  const threads = Number(values.get('threads') ?? 1);
  const blas = values.get('blas-threads') ?? '2';
  const json = flags.has('json');
  const log = (s: string): void => {
    if (!json) process.stdout.write(s + '\n');
  };
  setNumThreads(threads);
  manualSeed(0);
  const model = new BenchModel();
  const opt = new AdamW(model.namedParameters(), { lr: 3e-4, weightDecay: 0.01 });
  const params = model.parameters();
  const t = PATCHES + TEXT;
  const mask = F.causalMask(t);
  const patches = randn([BATCH, PATCHES, PATCH_DIM]);
  const tokens = randint(0, VOCAB, [BATCH, TEXT]);
  const times: number[] = [];
  let rssBase = 0;
  let rssPeak = 0;
  let loss = 0;
  for (let i = 0; i < WARMUP + steps; i++) {
    const t0 = performance.now();
    loss = tidy(() => {
      const logits = model.forward(patches, tokens, mask);
      const l = F.crossEntropy(logits.reshape(-1, VOCAB), tokens.reshape(-1));
      l.backward();
      return l.item();
    });
    clipGradNorm(params, 1);
    opt.step();
    opt.zeroGrad();
    if (i >= WARMUP) times.push(performance.now() - t0);
    const rss = rssMb();
    if (i === WARMUP + RSS_BASELINE_STEP) rssBase = rss;
    if (i > WARMUP + RSS_BASELINE_STEP) rssPeak = Math.max(rssPeak, rss);
    if (!json && (i + 1) % 25 === 0) log(`step ${i + 1 - WARMUP}/${steps}: ${median(times).toFixed(1)} ms median, loss ${loss.toFixed(3)}, rss ${rss.toFixed(0)} MB`);
  }
  const stepMs = median(times);
  const nParams = model.parameterCount();
  const tokensPerStep = BATCH * t;
  // 6 N T for the dense layers (forward + backward) plus attention's 12 L T^2 d per sequence
  const flops = 6 * nParams * tokensPerStep + 12 * LAYERS * BATCH * t * t * D;
  const peak = matmulPeakGflops();
  const mfu = flops / (stepMs * 1e6) / peak;
  log(`rewarddance: ${stepMs.toFixed(1)} ms/step (median of ${steps}), ${nParams} params, loss ${loss.toFixed(3)}`);
  log(`matmul peak ${peak.toFixed(1)} GFLOP/s -> model FLOP utilisation ${(mfu * 100).toFixed(1)}%`);
  const rssGrowthMb = Math.max(0, rssPeak - rssBase);
  log(`RSS after step ${RSS_BASELINE_STEP}: ${rssBase.toFixed(0)} MB, peak after: ${rssPeak.toFixed(0)} MB (growth ${rssGrowthMb.toFixed(1)} MB)`);
  const twin = runTwin('core_step.py', ['--steps', String(twinSteps), '--threads', String(threads)], { OPENBLAS_NUM_THREADS: blas });
  const torchMs = twin ? twin.stepMsMedian! : null;
  if (torchMs === null) log('PyTorch twin skipped: /usr/bin/python3 cannot import torch (apt-get install -y python3-torch)');
  else log(`PyTorch twin: ${torchMs.toFixed(1)} ms/step (median of ${twinSteps}); ratio rewarddance/PyTorch = ${(stepMs / torchMs).toFixed(3)}`);
  const result = { stepMsMedian: stepMs, torchStepMsMedian: torchMs, ratio: torchMs ? stepMs / torchMs : null, mfu, rssGrowthMb, threads, blasThreads: Number(blas), steps };
  if (json) process.stdout.write(JSON.stringify(result) + '\n');
}

main();
