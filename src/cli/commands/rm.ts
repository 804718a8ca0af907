/**
 * `rewarddance vlm pretrain`, `rewarddance rm train|eval|presets`: thin shells over the reward
 * trainer, the pretraining set and the evaluator.
 */
import type { Command } from 'commander';
import { CRITERIA, SPLITS, type Criterion, type Split } from '../../data/manifest.js';
import { Tokenizer } from '../../data/tokenizer.js';
import { ConfigError } from '../../errors.js';
import { SPECIAL_TOKENS } from '../../data/tokenizer.js';
import { DEFAULT_VLM_CONFIG, vlmConfig, vlmConfigFromJson, type VlmConfig } from '../../models/vlm/config.js';
import { TinyVlm } from '../../models/vlm/model.js';
import { VlmScorer, type Paradigm } from '../../models/vlm/scorer.js';
import { pretrainLrFor, VLM_PRESETS, vlmPreset } from '../../presets/vlm.js';
import { exportCheckpoint, readCheckpointConfig } from '../../nn/index.js';
import { loadVlmCheckpoint } from '../../rewards/generative.js';
import { pairItems, type TrainPair } from '../../train/reward/data.js';
import { evaluatePairs } from '../../train/reward/evaluate.js';
import { auxiliaryItems, defaultVocabulary, pretrainItems } from '../../train/reward/pretrain-data.js';
import { evaluateVqa } from '../../train/reward/pretrain-eval.js';
import { manifestPairs, manifestPairsOrNone, parseContext, worldPairs } from '../../train/reward/sources.js';
import { DEFAULT_RM_TRAIN_CONFIG, trainRewardModel, type RmTrainConfig } from '../../train/reward/trainer.js';
import { setNumThreads } from '../../tensor/index.js';
import { action, intOption, printJson, progress } from '../run.js';

interface TrainOpts {
  preset: string;
  init?: string;
  paradigm: string;
  context?: string;
  data?: string;
  task: string;
  criteria: string;
  pairs?: string;
  worldPairs?: string;
  evalPairs?: string;
  out: string;
  steps?: string;
  batch?: string;
  lr?: string;
  seed?: string;
  threads?: string;
  evalEvery?: string;
  mix?: string;
  mediaRoleStd?: string;
  resume?: boolean;
  json?: boolean;
}

function number(name: string, v: string | undefined, def: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`--${name} must be a positive number, got '${v}'`);
  return n;
}

function criteriaList(s: string): Criterion[] {
  return s.split(',').map((c) => {
    if (!(CRITERIA as readonly string[]).includes(c)) throw new ConfigError(`unknown criterion '${c}' (known: ${CRITERIA.join(', ')})`);
    return c as Criterion;
  });
}

function fullVocab(): string[] {
  return [...new Set([...SPECIAL_TOKENS, ...defaultVocabulary()])];
}

async function evalSets(o: { data?: string; task: string; criteria: string; evalPairs?: string; seed?: string }): Promise<Record<string, TrainPair[]>> {
  const n = intOption('eval-pairs', o.evalPairs, 500, 1);
  const seed = intOption('seed', o.seed, 0);
  if (o.data) {
    const out: Record<string, TrainPair[]> = {};
    for (const split of ['id', 'ood'] as Split[]) {
      // a manifest without that split simply has no evaluation for it
      const pairs = (await manifestPairsOrNone(o.data, split)).slice(0, n);
      if (pairs.length > 0) out[split] = pairs;
    }
    return out;
  }
  const criteria = criteriaList(o.criteria);
  return {
    id: worldPairs({ task: o.task, criteria, split: 'id', n, seed: seed + 1001 }),
    ood: worldPairs({ task: o.task, criteria, split: 'ood', n, seed: seed + 2002 }),
  };
}

export function register(program: Command): void {
  const vlm = program.command('vlm').description('the tiny vision-language model family');
  vlm
    .command('pretrain')
    .description('pretrain a tiny VLM on world captions and visual questions (next-token prediction)')
    .option('--preset <name>', `model size (${Object.keys(VLM_PRESETS).join(', ')})`, 'rd-m')
    .requiredOption('--out <dir>', 'checkpoint folder to write')
    .option('--init <ckpt>', 'continue from this VLM checkpoint (a fresh schedule; its size and stem win over --preset)')
    .option('--stem <kind>', `image stem of a new model: 'conv' (stride-2 convolutions) or 'patch' (one convolution and a linear patchify) (default: ${DEFAULT_VLM_CONFIG.stem})`)
    .option('--patch <n>', `patch side of a new model: 4 gives 64 tokens an image, 8 gives 16 (about 3x faster; what \`study scaling\` uses) (default: ${DEFAULT_VLM_CONFIG.patch})`)
    .option('--steps <n>', 'optimizer steps', '2000')
    .option('--media-role-std <x>', `scale of a new model's media role embeddings (0 shares the text role table) (default: ${DEFAULT_VLM_CONFIG.mediaRoleStd})`)
    .option('--no-ground', 'skip grounded pretraining (image tokens predicting the class word of the object under them)')
    .option('--loss-per <unit>', "average the loss per 'token' or per 'sequence' (questions then weigh as much as long captions)", 'token')
    .option('--items <n>', 'distinct captions and questions to generate', '20000')
    .option('--batch <n>', 'sequences per step', '32')
    .option('--lr <x>', 'peak learning rate (default: 2e-3, which learned shapes about twice as fast as 1e-3 on rd-m; 7e-4 for width 256 (rd-xl), where 2e-3 stalled)')
    .option('--seed <n>', 'seed', '0')
    .option('--threads <n>', 'torch threads', '1')
    .option('--resume', 'continue a killed run from its last checkpoint')
    .option('--json', 'print one JSON object when done')
    .action(
      action((o: { preset: string; init?: string; out: string; stem?: string; patch?: string; mediaRoleStd?: string; steps: string; lossPer: string; ground: boolean; items: string; batch: string; lr?: string; seed: string; threads: string; resume?: boolean; json?: boolean }) => {
        if (o.init && (o.stem !== undefined || o.mediaRoleStd !== undefined || o.patch !== undefined)) {
          throw new ConfigError(`--stem, --patch and --media-role-std shape a new model; with --init ${o.init} the checkpoint's own stem, patch and media roles are kept (drop those options, or pretrain from --preset)`);
        }
        const config = o.init
          ? vlmConfigFromJson(readCheckpointConfig(o.init))
          : vlmConfig({ ...vlmPreset(o.preset), stem: (o.stem ?? DEFAULT_VLM_CONFIG.stem) as VlmConfig['stem'], patch: intOption('patch', o.patch, DEFAULT_VLM_CONFIG.patch, 1), mediaRoleStd: o.mediaRoleStd === undefined ? DEFAULT_VLM_CONFIG.mediaRoleStd : Number(o.mediaRoleStd), vocab: fullVocab() });
        const tok = new Tokenizer(config.vocab.slice(SPECIAL_TOKENS.length));
        if (o.lossPer !== 'token' && o.lossPer !== 'sequence') throw new ConfigError(`--loss-per must be 'token' or 'sequence', got '${o.lossPer}'`);
        const items = pretrainItems(intOption('items', o.items, 20000, 1), intOption('seed', o.seed, 0), tok, config.imageSize, { perSequence: o.lossPer === 'sequence', groundPatch: o.ground ? config.patch : undefined });
        const steps = intOption('steps', o.steps, 2000, 1);
        const bar = progress('pretrain', steps, { quiet: o.json });
        const cfg: RmTrainConfig = { ...DEFAULT_RM_TRAIN_CONFIG, paradigm: 'pretrain', steps, batchSize: intOption('batch', o.batch, 32, 1), lr: o.lr === undefined ? pretrainLrFor(config) : number('lr', o.lr, 2e-3), seed: intOption('seed', o.seed, 0), threads: intOption('threads', o.threads, 1, 1), evalEvery: 500 };
        const r = trainRewardModel({ out: o.out, config: cfg, model: o.init ? { init: o.init } : { config }, items, resume: o.resume, onStep: (m) => bar.tick(1, { loss: m.loss.toFixed(3) }) });
        bar.stop();
        const vqa = r.metrics.at(-1)?.vqa ?? null;
        const summary = { out: o.out, preset: o.preset, params: r.model.parameterCount(), steps, finalLoss: r.metrics.at(-1)?.loss ?? null, vqa };
        if (o.json) printJson(summary);
        else {
          process.stdout.write(`pretrained ${o.preset} (${summary.params} parameters): final loss ${summary.finalLoss?.toFixed(3)}; checkpoint ${o.out}\n`);
          if (vqa) process.stdout.write(`  visual questions ${(vqa.accuracy * 100).toFixed(1)}% (majority answer ${(vqa.majority * 100).toFixed(1)}%): ${Object.entries(vqa.bySkill).map(([k, v]) => `${k} ${(v.accuracy * 100).toFixed(0)}%`).join(', ')}\n`);
        }
      }),
    );

  vlm
    .command('eval')
    .description('visual-question accuracy of a VLM checkpoint per skill, beside the majority-answer floor')
    .requiredOption('--model <ckpt>', 'checkpoint folder (pretrained or reward-tuned)')
    .option('--split <s>', 'prompt domain of the scenes (id | ood)', 'id')
    .option('--questions <n>', 'questions to ask', '1000')
    .option('--seed <n>', 'seed of the scenes', '0')
    .option('--threads <n>', "torch threads (default: libtorch's own choice, one per core)")
    .option('--json', 'print {accuracy, n, majority, bySkill}')
    .action(
      action((o: { model: string; split: string; questions: string; seed: string; threads?: string; json?: boolean }) => {
        if (o.split !== 'id' && o.split !== 'ood') throw new ConfigError(`--split must be id or ood, got '${o.split}'`);
        if (o.threads !== undefined) setNumThreads(intOption('threads', o.threads, 1, 1));
        const { model } = loadVlmCheckpoint(o.model);
        const e = evaluateVqa(model, { n: intOption('questions', o.questions, 1000, 1), seed: intOption('seed', o.seed, 0) + 3003, split: o.split });
        if (o.json) return printJson(e);
        process.stdout.write(`visual questions: ${(e.accuracy * 100).toFixed(1)}% of ${e.n} (majority answer ${(e.majority * 100).toFixed(1)}%)\n`);
        for (const [skill, v] of Object.entries(e.bySkill)) process.stdout.write(`  ${skill.padEnd(9)} ${(v.accuracy * 100).toFixed(1)}% (${v.n}; majority ${(v.majority * 100).toFixed(1)}%)\n`);
      }),
    );

  const rm = program.command('rm').description('generative reward models: train, evaluate, list presets');
  rm.command('presets')
    .description('list the model presets with parameter counts')
    .option('--json', 'print JSON')
    .action(
      action((o: { json?: boolean }) => {
        const rows = Object.entries(VLM_PRESETS).map(([name, p]) => {
          const m = new TinyVlm(vlmConfig({ ...p, vocab: fullVocab() }));
          const params = m.parameterCount();
          m.dispose();
          return { name, ...p, params };
        });
        if (o.json) return printJson(rows);
        for (const r of rows) process.stdout.write(`${r.name.padEnd(6)} dim ${String(r.dim).padStart(3)}  layers ${r.layers}  heads ${r.heads}  ${r.params.toLocaleString('en-US')} parameters\n`);
      }),
    );
  rm.command('train')
    .description('train a reward model (generative pairwise/pointwise or Bradley-Terry) on world pairs or a manifest')
    .option('--preset <name>', 'model size for a fresh model', 'rd-m')
    .option('--init <ckpt>', 'start from this checkpoint (e.g. a pretrained VLM)')
    .option('--paradigm <p>', 'pairwise | pointwise | bt', 'pairwise')
    .option('--context <list>', 'none, or instruction,reference,examples:K,cot:decision-first|reason-first', 'instruction')
    .option('--data <dirs>', 'pair manifest folder, or several comma-separated (default: generate world pairs in memory)')
    .option('--task <t>', 'world task for in-memory pairs', 't2i')
    .option('--criteria <list>', 'criteria of in-memory world pairs', 'alignment')
    .option('--pairs <n>', 'in-memory training pairs', '20000')
    .option('--world-pairs <n>', "with --data: also train on this many in-memory world pairs (keeps what the model knew about clean renders while it learns the folder's pairs)", '0')
    .option('--eval-pairs <n>', 'pairs per evaluation split', '500')
    .option('--media-role-std <x>', 'scale of the media role embeddings (a checkpoint without them gets a fresh table; 0 shares the text roles)')
    .option('--mix <list>', "auxiliary tasks trained alongside: 'pointwise' (each pair also as pointwise yes/no questions) and 'vqa' (visual questions and captions, one per pair), comma-separated")
    .requiredOption('--out <dir>', 'checkpoint folder to write')
    .option('--steps <n>', 'optimizer steps', '2000')
    .option('--batch <n>', 'items per step', '32')
    .option('--lr <x>', 'peak learning rate (1e-3 collapsed pairwise fine-tuning to a constant answer; 3e-4 learns)', '3e-4')
    .option('--eval-every <n>', 'steps between evaluations', '500')
    .option('--seed <n>', 'seed', '0')
    .option('--threads <n>', 'torch threads', '1')
    .option('--resume', 'continue a killed run exactly')
    .option('--json', 'print one JSON object when done')
    .action(
      action(async (o: TrainOpts) => {
        const paradigm = o.paradigm as Paradigm;
        if (!['pairwise', 'pointwise', 'bt'].includes(paradigm)) throw new ConfigError(`--paradigm must be pairwise, pointwise or bt, got '${o.paradigm}'`);
        const ctx = parseContext(o.context, paradigm);
        const seed = intOption('seed', o.seed, 0);
        const world = (n: number): TrainPair[] => worldPairs({ task: o.task, criteria: criteriaList(o.criteria), split: 'train', n, seed });
        const extra = intOption('world-pairs', o.worldPairs, 0);
        if (extra > 0 && !o.data) throw new ConfigError('--world-pairs mixes world pairs into a --data folder; without --data use --pairs');
        const train = o.data ? [...(await manifestPairs(o.data, 'train')), ...(extra > 0 ? world(extra) : [])] : world(intOption('pairs', o.pairs, 20000, 1));
        const evals = await evalSets(o);
        const overrides = o.mediaRoleStd === undefined ? {} : { mediaRoleStd: Number(o.mediaRoleStd) };
        const modelConfig = o.init ? vlmConfig({ ...vlmConfigFromJson(readCheckpointConfig(o.init)), ...overrides }) : vlmConfig({ ...vlmPreset(o.preset), ...overrides, vocab: fullVocab(), scalarHead: true });
        const model = o.init ? { init: o.init, overrides } : { config: modelConfig };
        const tok = new Tokenizer(modelConfig.vocab.slice(SPECIAL_TOKENS.length));
        const items = [...pairItems(train, paradigm, ctx, tok, seed), ...auxiliaryItems(o.mix ? o.mix.split(',') : [], train, paradigm, ctx, tok, seed, modelConfig)];
        const steps = intOption('steps', o.steps, 2000, 1);
        const cfg: RmTrainConfig = { ...DEFAULT_RM_TRAIN_CONFIG, paradigm, context: ctx, steps, batchSize: intOption('batch', o.batch, 32, 1), lr: number('lr', o.lr, 3e-4), evalEvery: intOption('eval-every', o.evalEvery, 500, 1), seed, threads: intOption('threads', o.threads, 1, 1) };
        const bar = progress('rm train', steps, { quiet: o.json });
        const r = trainRewardModel({ out: o.out, config: cfg, model, items, evalSets: evals, resume: o.resume, onStep: (m) => bar.tick(1, { loss: m.loss.toFixed(3) }) });
        bar.stop();
        const summary = { out: o.out, paradigm, context: ctx, params: r.model.parameterCount(), steps, trainPairs: train.length, evaluation: r.evaluation };
        if (o.json) printJson(summary);
        else {
          process.stdout.write(`trained ${paradigm} reward model (${summary.params} parameters) -> ${o.out}\n`);
          for (const [split, e] of Object.entries(r.evaluation)) process.stdout.write(`  ${split}: accuracy ${(e.accuracy * 100).toFixed(1)}% on ${e.n} pairs\n`);
        }
      }),
    );
  rm.command('eval')
    .description('evaluate a reward model checkpoint on pairs')
    .requiredOption('--model <ckpt>', 'checkpoint folder')
    .option('--data <dirs>', 'pair manifest folder, or several comma-separated (default: world pairs)')
    .option('--split <s>', `split (${SPLITS.join(', ')})`, 'id')
    .option('--task <t>', 'world task', 't2i')
    .option('--criteria <list>', 'criteria of world pairs', 'alignment')
    .option('--pairs <n>', 'world pairs to evaluate', '500')
    .option('--seed <n>', 'seed of the world pairs', '0')
    .option('--threads <n>', "torch threads (default: libtorch's own choice, one per core)")
    .option('--json', 'print {accuracy, n, byCriteria, byTag, ece, positionConsistency}')
    .action(
      action(async (o: { model: string; data?: string; split: string; task: string; criteria: string; pairs: string; seed: string; threads?: string; json?: boolean }) => {
        if (!(SPLITS as readonly string[]).includes(o.split)) throw new ConfigError(`--split must be one of ${SPLITS.join(', ')}`);
        if (o.threads !== undefined) setNumThreads(intOption('threads', o.threads, 1, 1));
        const split = o.split as Split;
        const { model, paradigm, context } = loadVlmCheckpoint(o.model);
        const seed = intOption('seed', o.seed, 0) + (split === 'ood' ? 2002 : 1001);
        const pairs = o.data ? await manifestPairs(o.data, split) : worldPairs({ task: o.task, criteria: criteriaList(o.criteria), split, n: intOption('pairs', o.pairs, 500, 1), seed });
        const e = evaluatePairs(new VlmScorer(model, paradigm, context), pairs);
        if (o.json) return printJson(e);
        process.stdout.write(`accuracy ${(e.accuracy * 100).toFixed(1)}% on ${e.n} ${split} pairs; ECE ${e.ece.toFixed(3)}${e.positionConsistency === null ? '' : `; position consistency ${(e.positionConsistency * 100).toFixed(1)}%`}\n`);
        for (const [tag, v] of Object.entries(e.byTag)) process.stdout.write(`  ${tag.padEnd(14)} ${(v.accuracy * 100).toFixed(1)}% (${v.n})\n`);
      }),
    );

  rm.command('export')
    .description('write an inference copy of a reward model checkpoint (config and weights, no optimizer state), optionally in float16 (half the size)')
    .requiredOption('--model <ckpt>', 'checkpoint folder')
    .requiredOption('--out <dir>', 'new folder to write (must not exist)')
    .option('--half', 'store float32 weights as float16; they load back as float32')
    .option('--json', 'print {out, bytesIn, bytesOut, maxAbsChange, tensors}')
    .action(
      action((o: { model: string; out: string; half?: boolean; json?: boolean }) => {
        loadVlmCheckpoint(o.model).model.dispose(); // a loadable reward model, not just any folder
        const r = { out: o.out, ...exportCheckpoint(o.model, o.out, { half: o.half === true }) };
        if (o.json) return printJson(r);
        const mb = (b: number): string => (b / 1e6).toFixed(1);
        process.stdout.write(`wrote ${o.out}: ${r.tensors} tensors, ${mb(r.bytesIn)} MB -> ${mb(r.bytesOut)} MB${o.half ? `, float16 (largest weight change ${r.maxAbsChange.toExponential(2)})` : ''}\n`);
      }),
    );
}
