// How much a generator's velocity depends on each kind of prompt word: RMS difference of the
// predicted velocity for one noisy input under prompts that differ only in colour, only in
// shape, and against the null prompt, at three times. A generator that ignores colour words
// (the colour of its objects then follows the noise) shows a colour difference far below the
// shape difference.
// Usage (after `npx tsc -p tsconfig.build.json`):
//   node scripts/probe-gen-conditioning.mjs GENERATOR_DIR [SEED]
const D = new URL('../dist/src', import.meta.url).href;
const [{ loadGenerator }, T] = await Promise.all([import(`${D}/models/generator/index.js`), import(`${D}/tensor/index.js`)]);
const [dir, seed = '3'] = process.argv.slice(2);
if (!dir) {
  process.stderr.write('usage: node scripts/probe-gen-conditioning.mjs GENERATOR_DIR [SEED]\n');
  process.exit(2);
}
T.setNumThreads(1);
const model = loadGenerator(dir);
model.eval();
const pairs = [
  ['colour', 'a photo of a red circle', 'a photo of a blue circle'],
  ['colour', 'a photo of a green star', 'a photo of a yellow star'],
  ['shape', 'a photo of a red circle', 'a photo of a red star'],
  ['shape', 'a photo of a green star', 'a photo of a green square'],
  ['null', 'a photo of a red circle', ''],
  ['null', 'a photo of a green star', ''],
];
const rows = [];
T.noGrad(() =>
  T.tidy(() => {
    T.manualSeed(Number(seed));
    const x = T.randn([8, 3, model.config.imageSize, model.config.imageSize]);
    for (const t of [0.9, 0.6, 0.3]) {
      const tt = T.tensor(new Float32Array(8).fill(t), [8]);
      const v = (p) => model.forward(x, tt, model.encode(new Array(8).fill(p)));
      const row = { t };
      for (const kind of ['colour', 'shape', 'null']) {
        const ds = pairs.filter((p) => p[0] === kind).map(([, a, b]) => v(a).sub(v(b)).square().mean().sqrt().item());
        row[kind] = Number((ds.reduce((s, d) => s + d, 0) / ds.length).toFixed(4));
      }
      rows.push(row);
    }
  }),
);
model.dispose();
process.stdout.write(JSON.stringify({ generator: dir, rmsVelocityDifference: rows }) + '\n');
