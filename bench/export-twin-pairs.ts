/**
 * Exports world t2i alignment pairs (train, id, ood; the seeds `rm train` uses) for
 * bench/twins/rm_recipe.py, the PyTorch twin of reward-model fine-tuning used for recipe
 * sweeps on a GPU. Usage: node dist/bench/export-twin-pairs.js OUT_DIR CHECKPOINT_DIR|default [TRAIN_PAIRS] [PRETRAIN_ITEMS]
 * Writes per split: images (N, 2, 32, 32, 3) uint8 chosen/rejected, token ids (N, 40) int32 of
 * the prompt segment in four contexts (pw: instruction + reference, pt: instruction, p0: no
 * instruction, ex: an in-context example's prompt line), the decision-first CoT answers for
 * candidate = chosen / rejected (cy / cn: (N, 40), -100 padded), gzipped, and tags in a JSON
 * file. With 'default' the tokenizer is `vlm pretrain`'s vocabulary (written to vocab.json);
 * PRETRAIN_ITEMS > 0 also writes `vlm pretrain`'s grounded items (pre-*: image, prompt ids,
 * answer ids, grounding labels per image token) so the twin can pretrain a size ladder itself.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { mediaFrames } from '../src/data/image.js';
import { Tokenizer } from '../src/data/tokenizer.js';
import { answerTokens, DEFAULT_CONTEXT, orientRationale, questionSegments } from '../src/models/vlm/prompting.js';
import { defaultVocabulary, pretrainItems } from '../src/train/reward/pretrain-data.js';
import { worldPairs } from '../src/train/reward/sources.js';

const [out, ckpt, nArg, preArg] = process.argv.slice(2);
if (!out || !ckpt) {
  console.error('usage: node dist/bench/export-twin-pairs.js OUT_DIR CHECKPOINT_DIR|default [TRAIN_PAIRS] [PRETRAIN_ITEMS]');
  process.exit(2);
}
const vocab = ckpt === 'default' ? defaultVocabulary() : (JSON.parse(readFileSync(`${ckpt}/config.json`, 'utf8')) as { vocab: string[] }).vocab;
const tok = new Tokenizer(vocab);
mkdirSync(out, { recursive: true });
const L = 40;
const IMAGE_BYTES = 32 * 32 * 3;
const IGNORE = -100;

function write(path: string, data: Uint8Array | string): void {
  writeFileSync(`${path}.tmp`, data);
  renameSync(`${path}.tmp`, path);
}
function put(dst: Int32Array, row: number, ids: readonly number[], what: string): void {
  if (ids.length > L) throw new Error(`${what}: ${ids.length} tokens, over ${L}`);
  dst.set(ids, row * L);
}
const gz = (a: Int32Array): Uint8Array => gzipSync(new Uint8Array(a.buffer));
if (ckpt === 'default') write(`${out}/vocab.json`, JSON.stringify({ vocab: tok.words }));

const splits = [
  ['train', Number(nArg ?? 20000), 0],
  ['id', 300, 1001],
  ['ood', 300, 2002],
] as const;
for (const [split, n, seed] of splits) {
  const pairs = worldPairs({ task: 't2i', criteria: ['alignment'], split, n, seed });
  const img = new Uint8Array(pairs.length * 2 * IMAGE_BYTES);
  const arrays = { pw: new Int32Array(pairs.length * L), pt: new Int32Array(pairs.length * L), p0: new Int32Array(pairs.length * L), ex: new Int32Array(pairs.length * L), cy: new Int32Array(pairs.length * L).fill(IGNORE), cn: new Int32Array(pairs.length * L).fill(IGNORE) };
  const cot = { ...DEFAULT_CONTEXT, cot: 'decision-first' as const };
  pairs.forEach((p, i) => {
    [p.chosen, p.rejected].forEach((m, j) => img.set(mediaFrames(m)[0]!.data, (i * 2 + j) * IMAGE_BYTES));
    const q = { task: p.task, prompt: p.prompt, criteria: p.criteria, candidate: p.chosen, reference: p.rejected };
    const contexts = [[DEFAULT_CONTEXT, arrays.pw], [{ ...DEFAULT_CONTEXT, reference: false }, arrays.pt], [{ ...DEFAULT_CONTEXT, reference: false, instruction: false }, arrays.p0]] as const;
    for (const [ctx, dst] of contexts) {
      const seg = questionSegments(q, ctx, tok)[0]!;
      if (seg.kind !== 'text') throw new Error('the first segment is not text');
      put(dst, i, seg.ids, `pair ${i} prompt`);
    }
    put(arrays.ex, i, tok.encode(`example prompt : ${p.prompt}`), `pair ${i} example`);
    put(arrays.cy, i, answerTokens(true, orientRationale(p.rationale ?? '', true), cot, tok).ids, `pair ${i} rationale`);
    put(arrays.cn, i, answerTokens(false, orientRationale(p.rationale ?? '', false), cot, tok).ids, `pair ${i} rationale`);
  });
  write(`${out}/${split}-img.gz`, gzipSync(img));
  for (const [k, a] of Object.entries(arrays)) write(`${out}/${split}-${k}.gz`, gz(a));
  write(`${out}/${split}-meta.json`, JSON.stringify({ n: pairs.length, L, tags: pairs.map((p) => p.tag ?? '') }));
  console.log(`${split}: ${pairs.length} pairs`);
}

const nPre = Number(preArg ?? 0);
if (nPre > 0) {
  // `vlm pretrain`'s items (its seed 0, grounded at patch 4, per-token loss)
  const items = pretrainItems(nPre, 0, tok, 32, { groundPatch: 4 });
  const img = new Uint8Array(items.length * IMAGE_BYTES);
  const prompt = new Int32Array(items.length * L);
  const answer = new Int32Array(items.length * L).fill(IGNORE);
  const ground = new Int32Array(items.length * 64).fill(IGNORE);
  items.forEach((it, i) => {
    if (it.kind !== 'single') throw new Error('pretraining items are single sequences');
    const [text, media] = it.spec.segments;
    if (text?.kind !== 'text' || media?.kind !== 'media') throw new Error('unexpected pretraining layout');
    put(prompt, i, text.ids, `item ${i} question`);
    put(answer, i, it.spec.answer, `item ${i} answer`);
    img.set(mediaFrames(media.media)[0]!.data, i * IMAGE_BYTES);
    if (media.labels) ground.set(media.labels, i * 64);
  });
  write(`${out}/pre-img.gz`, gzipSync(img));
  write(`${out}/pre-prompt.gz`, gz(prompt));
  write(`${out}/pre-answer.gz`, gz(answer));
  write(`${out}/pre-ground.gz`, gz(ground));
  write(`${out}/pre-meta.json`, JSON.stringify({ n: items.length, L }));
  console.log(`pretrain: ${items.length} items`);
}
