/**
 * Exports world t2i alignment pairs (train, id, ood; the seeds `rm train` uses) for
 * bench/twins/rm_recipe.py, the PyTorch twin of reward-model fine-tuning used for recipe
 * sweeps on a GPU. Usage: node dist/bench/export-twin-pairs.js OUT_DIR CHECKPOINT_DIR [TRAIN_PAIRS]
 * Writes per split: images (N, 2, 32, 32, 3) uint8 chosen/rejected, the pairwise and pointwise
 * prompt segments' token ids (N, 40) int32, gzipped, and tags in a JSON file.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { mediaFrames } from '../src/data/image.js';
import { Tokenizer } from '../src/data/tokenizer.js';
import { DEFAULT_CONTEXT, questionSegments } from '../src/models/vlm/prompting.js';
import { worldPairs } from '../src/train/reward/sources.js';

const [out, ckpt, nArg] = process.argv.slice(2);
if (!out || !ckpt) {
  console.error('usage: node dist/bench/export-twin-pairs.js OUT_DIR CHECKPOINT_DIR [TRAIN_PAIRS]');
  process.exit(2);
}
const vocab = (JSON.parse(readFileSync(`${ckpt}/config.json`, 'utf8')) as { vocab: string[] }).vocab;
const tok = new Tokenizer(vocab);
mkdirSync(out, { recursive: true });
const L = 40;
const IMAGE_BYTES = 32 * 32 * 3;

function write(path: string, data: Uint8Array | string): void {
  writeFileSync(`${path}.tmp`, data);
  renameSync(`${path}.tmp`, path);
}

const splits = [
  ['train', Number(nArg ?? 20000), 0],
  ['id', 300, 1001],
  ['ood', 300, 2002],
] as const;
for (const [split, n, seed] of splits) {
  const pairs = worldPairs({ task: 't2i', criteria: ['alignment'], split, n, seed });
  const img = new Uint8Array(pairs.length * 2 * IMAGE_BYTES);
  const pairwise = new Int32Array(pairs.length * L);
  const pointwise = new Int32Array(pairs.length * L);
  pairs.forEach((p, i) => {
    [p.chosen, p.rejected].forEach((m, j) => img.set(mediaFrames(m)[0]!.data, (i * 2 + j) * IMAGE_BYTES));
    const q = { task: p.task, prompt: p.prompt, criteria: p.criteria, candidate: p.chosen, reference: p.rejected };
    for (const [ctx, dst] of [[DEFAULT_CONTEXT, pairwise], [{ ...DEFAULT_CONTEXT, reference: false }, pointwise]] as const) {
      const seg = questionSegments(q, ctx, tok)[0]!;
      if (seg.kind !== 'text' || seg.ids.length > L) throw new Error(`pair ${i}: prompt segment longer than ${L} tokens`);
      dst.set(seg.ids, i * L);
    }
  });
  write(`${out}/${split}-img.gz`, gzipSync(img));
  write(`${out}/${split}-pw.gz`, gzipSync(new Uint8Array(pairwise.buffer)));
  write(`${out}/${split}-pt.gz`, gzipSync(new Uint8Array(pointwise.buffer)));
  write(`${out}/${split}-meta.json`, JSON.stringify({ n: pairs.length, L, tags: pairs.map((p) => p.tag ?? '') }));
  console.log(`${split}: ${pairs.length} pairs`);
}
