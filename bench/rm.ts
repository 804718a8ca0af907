/**
 * npm run bench:rm [-- --json] [--presets rd-xs,rd-s,rd-m] [--steps 20]
 * Training throughput of the generative pairwise reward model per preset: one step is 32
 * sequences (16 pairs in both orders) of 24 prompt tokens, reference and candidate images (64
 * tokens each) and <ans>, cross-entropy at <ans>, AdamW + clipping. Beside each, the PyTorch
 * twin of the same model and step (bench/twins/vlm_step.py). Prints pairs/s and the ratio.
 */
import { blankImage, imageMedia } from '../src/data/image.js';
import { SPECIAL_TOKENS } from '../src/data/tokenizer.js';
import { vlmConfig } from '../src/models/vlm/config.js';
import { answerLoss, TinyVlm } from '../src/models/vlm/model.js';
import { buildBatch, type SequenceSpec } from '../src/models/vlm/sequence.js';
import { VLM_PRESETS, vlmPreset } from '../src/presets/vlm.js';
import { AdamW, clipGradNorm, manualSeed, setNumThreads, tidy } from '../src/tensor/index.js';
import { defaultVocabulary } from '../src/train/reward/pretrain-data.js';
import { Rng } from '../src/util/rng.js';
import { median, parseArgs, runTwin } from './lib.js';

const SEQUENCES = 32;
const PAIRS_PER_STEP = SEQUENCES / 2;
const PROMPT_TOKENS = 24;
const WARMUP = 3;

function main(): void {
  const { flags, values } = parseArgs(process.argv.slice(2));
  const names = (values.get('presets') ?? Object.keys(VLM_PRESETS).slice(0, 4).join(',')).split(',');
  const steps = Number(values.get('steps') ?? 20);
  const json = flags.has('json');
  setNumThreads(1);
  const vocab = [...SPECIAL_TOKENS, ...defaultVocabulary()];
  const rng = new Rng(0);
  const img = (): ReturnType<typeof blankImage> => {
    const b = blankImage(32, 32);
    for (let i = 0; i < b.data.length; i++) b.data[i] = rng.int(0, 256);
    return b;
  };
  const specs: SequenceSpec[] = Array.from({ length: SEQUENCES }, () => ({
    segments: [
      { kind: 'text', role: 'prompt', ids: Array.from({ length: PROMPT_TOKENS }, () => rng.int(SPECIAL_TOKENS.length, vocab.length)) },
      { kind: 'media', role: 'reference', media: imageMedia(img()) },
      { kind: 'media', role: 'candidate', media: imageMedia(img()) },
    ],
    answer: [rng.int(SPECIAL_TOKENS.length, vocab.length)],
  }));
  const presets = [];
  for (const name of names) {
    const p = vlmPreset(name);
    manualSeed(0);
    const model = new TinyVlm(vlmConfig({ ...p, vocab, scalarHead: false }));
    const opt = new AdamW(model.namedParameters(), { lr: 1e-3 });
    const params = model.parameters();
    const batch = buildBatch(specs, model.config);
    const times: number[] = [];
    for (let i = 0; i < WARMUP + steps; i++) {
      const t0 = performance.now();
      tidy(() => {
        const l = answerLoss(model.answerLogits(batch), batch.targets!, batch.weights!);
        l.backward();
      });
      clipGradNorm(params, 1);
      opt.step();
      opt.zeroGrad();
      if (i >= WARMUP) times.push(performance.now() - t0);
    }
    const ms = median(times);
    const twin = runTwin('vlm_step.py', ['--dim', String(p.dim), '--layers', String(p.layers), '--heads', String(p.heads), '--stem', String(p.stemChannels), '--steps', String(steps)], { OPENBLAS_NUM_THREADS: process.env.OPENBLAS_NUM_THREADS ?? '1' });
    const torchMs = twin ? twin.stepMsMedian! : null;
    const row = { name, params: model.parameterCount(), pairsPerSec: (PAIRS_PER_STEP * 1000) / ms, torchPairsPerSec: torchMs ? (PAIRS_PER_STEP * 1000) / torchMs : null, ratio: torchMs ? ms / torchMs : null };
    presets.push(row);
    if (!json) process.stdout.write(`${name}: ${row.params} params, ${row.pairsPerSec.toFixed(1)} pairs/s` + (torchMs ? `, PyTorch ${row.torchPairsPerSec!.toFixed(1)} pairs/s, step-time ratio ${row.ratio!.toFixed(3)}\n` : ' (PyTorch twin skipped: /usr/bin/python3 cannot import torch)\n'));
    opt.dispose();
    model.dispose();
  }
  if (json) process.stdout.write(JSON.stringify({ presets }) + '\n');
}

main();
