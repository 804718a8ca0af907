// Probe of one reward-model recipe, the way `study scaling` trains it: visual pretraining then
// reward fine-tuning from it, accuracy on 300 ID and 300 OOD world pairs (the study's splits).
// Usage (after `npx tsc -p tsconfig.build.json`):
//   node scripts/probe-rm-recipe.mjs PRESET PATCH PRETRAIN_STEPS RM_STEPS BATCH OUT [pointwise|pairwise|bt]
//   node scripts/probe-rm-recipe.mjs rd-s 8 3000 1000 32 /tmp/probe   # 705 s at 1 thread: ID 0.783, OOD 0.623
const D = new URL('../dist/src', import.meta.url).href;
const [{ vlmConfig }, { vlmPreset, pretrainLrFor }, { SPECIAL_TOKENS, Tokenizer }, { defaultVocabulary, pretrainItems }, { DEFAULT_RM_TRAIN_CONFIG, trainRewardModel }, { pairItems }, { worldPairs }, { VlmScorer }, { pairAccuracy }, { setNumThreads }] = await Promise.all([
  import(`${D}/models/vlm/config.js`), import(`${D}/presets/vlm.js`), import(`${D}/data/tokenizer.js`), import(`${D}/train/reward/pretrain-data.js`), import(`${D}/train/reward/trainer.js`), import(`${D}/train/reward/data.js`), import(`${D}/train/reward/sources.js`), import(`${D}/models/vlm/scorer.js`), import(`${D}/eval/study.js`), import(`${D}/tensor/index.js`)]);
const [preset, patch, preSteps, rmSteps, batch, out, paradigm = 'pointwise'] = process.argv.slice(2);
if (!out || !['pointwise', 'pairwise', 'bt'].includes(paradigm) || [patch, preSteps, rmSteps, batch].some((x) => !(Number(x) > 0))) {
  process.stderr.write('usage: node scripts/probe-rm-recipe.mjs PRESET PATCH PRETRAIN_STEPS RM_STEPS BATCH OUT [pointwise|pairwise|bt]\n');
  process.exit(2);
}
setNumThreads(1);
const vocab = [...new Set([...SPECIAL_TOKENS, ...defaultVocabulary()])];
const tok = new Tokenizer(vocab.slice(SPECIAL_TOKENS.length));
const config = vlmConfig({ ...vlmPreset(preset), patch: Number(patch), vocab, scalarHead: true });
const base = { ...DEFAULT_RM_TRAIN_CONFIG, evalEvery: 0, seed: 0, threads: 1 };
const t0 = Date.now();
const pre = { ...base, paradigm: 'pretrain', batchSize: 32, lr: Math.min(2e-3, pretrainLrFor(vlmPreset(preset))), steps: Number(preSteps), warmupSteps: Math.round(Number(preSteps) * 0.1) };
trainRewardModel({ out: `${out}/pre`, config: pre, model: { config }, items: pretrainItems(20000, 0, tok, config.imageSize, { groundPatch: config.patch }) }).model.dispose();
console.log('pretrain done', (Date.now() - t0) / 1000, 's');
const train = worldPairs({ task: 't2i', criteria: ['alignment'], split: 'train', n: 20000, seed: 0 });
const id = worldPairs({ task: 't2i', criteria: ['alignment'], split: 'id', n: 300, seed: 1001 });
const ood = worldPairs({ task: 't2i', criteria: ['alignment'], split: 'ood', n: 300, seed: 2002 });
const ctx = { instruction: true, reference: paradigm === 'pairwise', examples: 0, cot: 'off' };
const cfg = { ...base, paradigm, context: ctx, batchSize: Number(batch), lr: 3e-4, steps: Number(rmSteps), warmupSteps: Math.round(Number(rmSteps) * 0.1) };
const r = trainRewardModel({ out: `${out}/rm`, config: cfg, model: { init: `${out}/pre` }, items: pairItems(train, paradigm, ctx, tok, 0) });
const sc = new VlmScorer(r.model, paradigm, ctx);
console.log(JSON.stringify({ preset, patch, preSteps, rmSteps, batch, paradigm, id: pairAccuracy(sc, id, train), ood: pairAccuracy(sc, ood, train), s: (Date.now() - t0) / 1000 }));
