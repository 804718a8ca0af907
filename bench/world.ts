/**
 * World benchmark: seconds to build and write 10,000 t2i alignment pairs (the bar is
 * under 60 s on the 2-core machine), 1,000 t2v motion pairs of 8 frames, plus render and
 * oracle speed on images and clips. `--json` prints one object.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePairs, oracleConfusion, videoConfusion, writePairs } from '../src/world/index.js';

/** Pairs timed; the target is stated for 10,000. */
const PAIRS = 10_000;
/** Video pairs timed (8 frames each, so each costs about as much as 16 images). */
const VIDEO_PAIRS = 1_000;

const json = process.argv.includes('--json');
const dir = mkdtempSync(join(tmpdir(), 'rd-world-bench-'));
try {
  const t0 = performance.now();
  // rationales from the scenes: the oracle's reading equals them on clean renders (see the tests)
  const pairs = makePairs({ task: 't2i', criteria: 'alignment', split: 'train', n: PAIRS, seed: 1, rationaleFrom: 'scene' });
  const t1 = performance.now();
  writePairs(join(dir, 'pairs'), pairs);
  const t2 = performance.now();
  const conf = oracleConfusion({ n: 300, seed: 1 });
  const t3 = performance.now();
  const video = makePairs({ task: 't2v', criteria: 'motion', split: 'train', n: VIDEO_PAIRS, seed: 1, rationaleFrom: 'scene' });
  writePairs(join(dir, 'video'), video);
  const t4 = performance.now();
  const vconf = videoConfusion({ n: 200, seed: 1 });
  const out = {
    secondsFor10kPairs: (t2 - t0) / 1000,
    secondsGenerate: (t1 - t0) / 1000,
    secondsWrite: (t2 - t1) / 1000,
    oracleMsPerImage: conf.msPerImage,
    oracleClauseAgreement: conf.clauseAgreement,
    secondsFor1kVideoPairs: (t4 - t3) / 1000,
    videoOracleMsPerClip: vconf.msPerClip,
    videoOracleClauseAgreement: vconf.clauseAgreement,
  };
  if (json) process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  else {
    process.stdout.write(`10k t2i pairs: ${out.secondsFor10kPairs.toFixed(1)} s (generate ${out.secondsGenerate.toFixed(1)} s, write ${out.secondsWrite.toFixed(1)} s); oracle ${out.oracleMsPerImage.toFixed(2)} ms/image\n`);
    process.stdout.write(`1k t2v motion pairs (8 frames): ${out.secondsFor1kVideoPairs.toFixed(1)} s; video oracle ${out.videoOracleMsPerClip.toFixed(1)} ms/clip (render + read + spec check)\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
