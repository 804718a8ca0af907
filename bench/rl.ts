/**
 * npm run bench:rl [-- --json] [--steps 5] [--batch 16] [--reward DIR] [--threads 1]
 * One ReFL step of the shipped generator (models/rd-gen-t2i) against a VLM reward model at
 * batch 16: the ODE without gradients to the last step (16 steps, guidance 2, stop step 15
 * for a fixed cost), one guided velocity with gradients, x0 into the frozen VLM (pairwise:
 * instruction, prompt, reference, candidate, <ans>), -P(yes) plus the flow-matching anchor on
 * 16 world samples, backward into the generator, clipping and AdamW. The reward is the shipped
 * ReFL judge (models/rd-rm-xl-gen, else models/rd-rm-xl), else the first trained VLM checkpoint
 * under models/ (config kind rd-vlm), or a freshly initialised rd-m preset VLM when there is
 * none; the output says which. Beside it, the PyTorch twin of the
 * same step (bench/twins/refl_step.py, Debian's python3-torch). Prints
 * {reflStepMs, torchReflStepMs, ratio, ...} (wall-clock medians) and the same in process CPU
 * time (steadier on a shared machine: one libtorch thread each); also the share of the step spent rendering the
 * anchor's world samples (which the twin replaces with random tensors) and the one-time cost
 * of a prompt's reference tournament (N = 8).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SPECIAL_TOKENS } from '../src/data/tokenizer.js';
import { errorMessage } from '../src/errors.js';
import { FlowUNet, loadGenerator, sampleImages, TEXT_VOCAB, tokenizePrompt, validateGeneratorConfig } from '../src/models/generator/index.js';
import { vlmConfig } from '../src/models/vlm/config.js';
import { TinyVlm } from '../src/models/vlm/model.js';
import { DEFAULT_CONTEXT, questionSegments } from '../src/models/vlm/prompting.js';
import { imagesToTensor } from '../src/models/vlm/sequence.js';
import { readCheckpointConfig } from '../src/nn/index.js';
import { vlmPreset } from '../src/presets/vlm.js';
import { LocalVlmRewardModel } from '../src/rewards/generative.js';
import { AdamW, manualSeed, noGrad, setNumThreads } from '../src/tensor/index.js';
import { worldBatch } from '../src/train/generator/train.js';
import { defaultVocabulary } from '../src/train/reward/pretrain-data.js';
import { FrozenVlmReward, ReferenceCache, reflConfig, reflStep } from '../src/train/refl/index.js';
import { median, parseArgs, runTwin } from './lib.js';

const ROOT = join(import.meta.dirname, '..', '..');
const GENERATOR = join(ROOT, 'models', 'rd-gen-t2i');
const WARMUP = 2;
const SAMPLE_STEPS = 16;
/** The gradient step at the last sampler step: every timed step costs the same. */
const STOP = SAMPLE_STEPS - 1;
const REFERENCE_N = 8;

/** The shipped generator, or (when its checkpoint does not load) a fresh one of the same config, with the reason. */
function generator(): { model: FlowUNet; note: string } {
  try {
    return { model: loadGenerator(GENERATOR), note: 'models/rd-gen-t2i' };
  } catch (err) {
    manualSeed(0);
    const model = new FlowUNet(validateGeneratorConfig(readCheckpointConfig(GENERATOR)));
    return { model, note: `models/rd-gen-t2i config, fresh weights (the checkpoint did not load: ${errorMessage(err)})` };
  }
}

/** The judge the README's ReFL recipe uses (then the other shipped one), before any other checkpoint under models/. */
const REFL_JUDGES = ['rd-rm-xl-gen', 'rd-rm-xl'];

/** The shipped ReFL judge, else the first trained VLM reward checkpoint under models/, else a fresh rd-m. */
function rewardModel(dir: string | undefined): { reward: FrozenVlmReward; judge: LocalVlmRewardModel; note: string } {
  const rank = (d: string): number => (REFL_JUDGES.includes(d) ? REFL_JUDGES.indexOf(d) : REFL_JUDGES.length);
  const shipped = readdirSync(join(ROOT, 'models')).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const candidates = dir ? [dir] : shipped.map((d) => join(ROOT, 'models', d)).filter((d) => existsSync(join(d, 'config.json')) && (JSON.parse(readFileSync(join(d, 'config.json'), 'utf8')) as { kind?: string }).kind === 'rd-vlm');
  for (const c of candidates) {
    try {
      const judge = LocalVlmRewardModel.load(c);
      return { reward: FrozenVlmReward.fromRewardModel(judge), judge, note: `trained checkpoint ${c} (${judge.scorer.paradigm})` };
    } catch (err) {
      if (dir) throw err;
    }
  }
  manualSeed(1);
  const model = new TinyVlm(vlmConfig({ ...vlmPreset('rd-m'), vocab: [...SPECIAL_TOKENS, ...defaultVocabulary()], scalarHead: false }));
  const judge = new LocalVlmRewardModel('rd-m-fresh', model, 'pairwise', DEFAULT_CONTEXT);
  return { reward: FrozenVlmReward.fromRewardModel(judge), judge, note: 'freshly initialised rd-m preset VLM (pairwise; no trained reward checkpoint under models/)' };
}

async function main(): Promise<void> {
  const { flags, values } = parseArgs(process.argv.slice(2));
  const json = flags.has('json');
  const steps = Number(values.get('steps') ?? 5);
  const batch = Number(values.get('batch') ?? 16);
  const threads = Number(values.get('threads') ?? 1);
  const log = (s: string): void => {
    if (!json) process.stdout.write(s + '\n');
  };
  setNumThreads(threads);
  const gen = generator();
  const rm = rewardModel(values.get('reward'));
  log(`generator: ${gen.note}`);
  log(`reward: ${rm.note}`);
  const prompts = readFileSync(join(GENERATOR, 'rl-prompts.txt'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')).slice(0, batch);
  const cfg = reflConfig({ sampleSteps: SAMPLE_STEPS, stopMin: STOP });
  const pairwise = rm.reward.mode === 'pairwise';

  // one reference tournament (its cost is paid once per prompt per run, not per step)
  let referenceMsPerPrompt: number | null = null;
  if (pairwise) {
    const cache = new ReferenceCache(gen.model, rm.judge, { n: REFERENCE_N, steps: SAMPLE_STEPS, guidance: cfg.guidance, seed: 1 });
    await cache.get(prompts[0]!);
    referenceMsPerPrompt = cache.ms;
    log(`reference tournament (N=${REFERENCE_N}: ${REFERENCE_N} samples + ${cache.queries} pairwise queries): ${cache.ms.toFixed(0)} ms per prompt, once per run`);
  }
  // references for the timed steps: one pretrained sample per prompt
  const refs = pairwise ? noGrad(() => imagesToTensor(sampleImages(gen.model, prompts, { steps: SAMPLE_STEPS, guidance: cfg.guidance, seed: 2 }), rm.reward.imageSize)) : undefined;
  const opt = new AdamW(gen.model.namedParameters(), { lr: cfg.lr, weightDecay: 0 });
  const times: number[] = [];
  const cpuTimes: number[] = [];
  const renderTimes: number[] = [];
  for (let i = 0; i < WARMUP + steps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    reflStep(gen.model, opt, rm.reward, prompts, i, cfg, refs);
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(c0);
    const r0 = performance.now();
    worldBatch(cfg.anchorBatch, cfg.seed + 17, i, gen.model.config.imageSize); // what the step spent on the anchor's images
    const render = performance.now() - r0;
    if (i >= WARMUP) {
      times.push(ms);
      cpuTimes.push((cpu.user + cpu.system) / 1000);
      renderTimes.push(render);
      log(`step ${i + 1 - WARMUP}/${steps}: ${ms.toFixed(0)} ms wall, ${cpuTimes.at(-1)!.toFixed(0)} ms CPU (anchor rendering ${render.toFixed(0)} ms)`);
    }
  }
  const reflStepMs = median(times);
  const reflStepCpuMs = median(cpuTimes);
  const anchorRenderMs = median(renderTimes);
  // shapes for the twin: text lengths as this step saw them
  const g = gen.model.config;
  const genLen = Math.max(...prompts.map((p) => tokenizePrompt(p, g.maxTokens).length));
  const anchorLen = Math.max(...worldBatch(cfg.anchorBatch, cfg.seed + 17, 0, g.imageSize).prompts.map((p) => tokenizePrompt(p, g.maxTokens).length));
  const v = rm.reward.model.config;
  const vlmLen = Math.max(...prompts.map((p) => {
    const seg = questionSegments({ task: 't2i', prompt: p, criteria: 'alignment', candidate: { kind: 'image', image: { width: 1, height: 1, data: new Uint8Array(3) } }, reference: pairwise ? { kind: 'image', image: { width: 1, height: 1, data: new Uint8Array(3) } } : undefined }, rm.reward.context, rm.reward.scorer.tok)[0]!;
    return seg.kind === 'text' ? seg.ids.length : 0;
  }));
  const args: Record<string, string | number> = {
    batch,
    steps,
    'sample-steps': SAMPLE_STEPS,
    stop: STOP,
    guidance: cfg.guidance,
    'anchor-batch': cfg.anchorBatch,
    anchor: cfg.anchor,
    lr: cfg.lr,
    channels: g.channels.join(','),
    'emb-dim': g.embDim,
    'text-dim': g.textDim,
    'text-layers': g.textLayers,
    heads: g.heads,
    groups: g.groups,
    'max-tokens': g.maxTokens,
    'gen-len': genLen,
    'anchor-len': anchorLen,
    'vlm-dim': v.dim,
    'vlm-layers': v.layers,
    'vlm-heads': v.heads,
    'vlm-mlp': v.mlpRatio,
    'vlm-stem': v.stem,
    'vlm-stem-channels': v.stemChannels,
    'vlm-patch': v.patch,
    'vlm-vocab': v.vocab.length,
    'vlm-text-len': vlmLen,
    'vlm-pairwise': pairwise ? 1 : 0,
    'vlm-scalar': rm.reward.paradigm === 'bt' ? 1 : 0,
    'vlm-scalar-head': v.scalarHead ? 1 : 0,
    'vlm-media-role': v.mediaRoleStd > 0 ? 1 : 0,
    'vlm-max-text': v.maxTextLen,
    'vlm-max-frames': v.maxFrames,
    'text-vocab': TEXT_VOCAB,
    threads,
  };
  const twin = runTwin('refl_step.py', Object.entries(args).flatMap(([k, x]) => [`--${k}`, String(x)]), { OPENBLAS_NUM_THREADS: process.env.OPENBLAS_NUM_THREADS ?? '1' });
  const torchReflStepMs = twin ? twin.stepMsMedian! : null;
  if (twin) log(`parameters: generator ${gen.model.parameterCount()} (twin ${twin.generatorParams}), VLM ${rm.reward.model.parameterCount()} (twin ${twin.vlmParams})`);
  const ratio = torchReflStepMs ? reflStepMs / torchReflStepMs : null;
  const torchReflStepCpuMs = twin ? twin.stepCpuMsMedian! : null;
  const cpuRatio = torchReflStepCpuMs ? reflStepCpuMs / torchReflStepCpuMs : null;
  if (torchReflStepMs === null) log('PyTorch twin skipped: /usr/bin/python3 cannot import torch (apt-get install -y python3-torch); torchReflStepMs is null');
  else log(`PyTorch twin: ${torchReflStepMs.toFixed(0)} ms/step wall, ${torchReflStepCpuMs!.toFixed(0)} ms CPU (medians of ${steps}); ratio rewarddance/PyTorch = ${ratio!.toFixed(3)} wall, ${cpuRatio!.toFixed(3)} CPU (rewarddance's step includes ${anchorRenderMs.toFixed(0)} ms of anchor rendering, the twin's does not)`);
  log(`ReFL step (batch ${batch}, ${SAMPLE_STEPS} sampler steps, stop ${STOP}): ${reflStepMs.toFixed(0)} ms wall, ${reflStepCpuMs.toFixed(0)} ms CPU, medians of ${steps}`);
  log('on a shared machine the wall-clock ratio follows the other jobs; the CPU-time ratio (one libtorch thread each) is the steadier comparison');
  const result = {
    reflStepMs,
    torchReflStepMs,
    ratio,
    reflStepCpuMs,
    torchReflStepCpuMs,
    cpuRatio,
    anchorRenderMs,
    referenceMsPerPrompt,
    batch,
    steps,
    threads,
    generator: gen.note,
    reward: rm.note,
    ...(torchReflStepMs === null ? { torchNote: '/usr/bin/python3 cannot import torch' } : {}),
  };
  if (json) process.stdout.write(JSON.stringify(result) + '\n');
  opt.dispose();
  refs?.dispose();
  gen.model.dispose();
  rm.judge.close();
}

await main();
