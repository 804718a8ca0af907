/**
 * `rewarddance world ...`: prompts (GenEval JSONL), sample (rendered scenes or clips), pairs
 * (preference datasets, t2i/t2v/i2v), floor (prompt-blind baselines) and confusion (oracle
 * validation, images and videos).
 */
import type { Command } from 'commander';
import { SPLITS, TASKS, type Criterion, type Split, type Task } from '../../data/manifest.js';
import { InputError } from '../../errors.js';
import { Rng } from '../../util/rng.js';
import { captionScene, floorOf, makePairs, oracleConfusion, parseTags, render, samplePrompts, sceneFor, writeGeneval, writePairs, writeSamples } from '../../world/index.js';
import { readManifest, resolveMedia } from '../../data/manifest.js';
import { readMedia } from '../../world/evaluate.js';
import { imageMedia, videoMedia } from '../../data/image.js';
import { VIDEO_TAGS, clipFor, clipScene, drawVideoPrompt, renderClip, DEFAULT_FRAMES } from '../../world/video.js';
import { videoConfusion } from '../../world/video-confusion.js';
import { action, intOption, printJson, progress } from '../run.js';

function tagsOption(v: string | undefined) {
  return v ? parseTags(v.split(',').map((s) => s.trim()).filter(Boolean)) : undefined;
}

function splitOption(v: string | undefined): Split {
  const s = v ?? 'train';
  if (!(SPLITS as readonly string[]).includes(s)) throw new InputError(`--split must be one of ${SPLITS.join(', ')}, got '${s}'`);
  return s as Split;
}

function taskOption(v: string | undefined): Task {
  const t = v ?? 't2i';
  if (!(TASKS as readonly string[]).includes(t)) throw new InputError(`--task must be one of ${TASKS.join(', ')}, got '${t}'`);
  return t as Task;
}

export function register(program: Command): void {
  const world = program.command('world').description('the procedural visual world: prompts, samples, preference pairs, floors');

  world
    .command('prompts')
    .description('write GenEval-format prompt metadata (JSONL)')
    .option('--n <n>', 'number of prompts', '100')
    .option('--tags <list>', 'comma-separated GenEval tags (default: all six)')
    .option('--seed <s>', 'random seed', '0')
    .option('--ood', 'draw out-of-domain prompts (held-out combinations)')
    .requiredOption('--out <file>', 'output .jsonl')
    .option('--json', 'print a JSON summary')
    .action(
      action((o: { n?: string; tags?: string; seed?: string; ood?: boolean; out: string; json?: boolean }) => {
        const recs = samplePrompts({ n: intOption('n', o.n, 100), tags: tagsOption(o.tags), seed: intOption('seed', o.seed, 0), domain: o.ood ? 'ood' : 'id' });
        writeGeneval(o.out, recs);
        if (o.json) return printJson({ out: o.out, n: recs.length });
        process.stdout.write(`wrote ${recs.length} prompts to ${o.out}\n`);
      }),
    );

  world
    .command('sample')
    .description('render scenes for sampled prompts (PNG + samples.jsonl with metadata and captions)')
    .option('--task <task>', 't2i, t2v or i2v (videos are PNG strips; i2v adds the first frame as -cond.png)', 't2i')
    .option('--n <n>', 'number of samples', '16')
    .option('--tags <list>', 'comma-separated GenEval tags (default: all six)')
    .option('--seed <s>', 'random seed', '0')
    .option('--size <px>', 'image side in pixels', '32')
    .option('--frames <n>', 'frames per video', String(DEFAULT_FRAMES))
    .requiredOption('--out <dir>', 'output folder (replaced)')
    .option('--json', 'print a JSON summary')
    .action(
      action((o: { task?: string; n?: string; tags?: string; seed?: string; size?: string; frames?: string; out: string; json?: boolean }) => {
        const task = taskOption(o.task);
        const seed = intOption('seed', o.seed, 0);
        const size = intOption('size', o.size, 32, 8);
        const rng = new Rng(seed + 1);
        if (task !== 't2i') {
          const frames = intOption('frames', o.frames, DEFAULT_FRAMES, 1);
          const tags = tagsOption(o.tags) ?? VIDEO_TAGS;
          const n = intOption('n', o.n, 16);
          const samples = Array.from({ length: n }, (_, i) => {
            const m = drawVideoPrompt(tags[i % tags.length]!, rng, 'id', task);
            const clip = clipFor(m, rng, { frames });
            const video = renderClip(clip, { size });
            return { id: `s${String(i).padStart(6, '0')}`, media: videoMedia(video), ...(task === 'i2v' ? { condition: video[0]! } : {}), prompt: m.prompt, metadata: m, caption: captionScene(clipScene(clip, 0)) };
          });
          const file = writeSamples(o.out, samples);
          if (o.json) return printJson({ out: file, n: samples.length, frames });
          process.stdout.write(`wrote ${samples.length} ${task} samples (${frames} frames each) to ${file}\n`);
          return;
        }
        const samples = samplePrompts({ n: intOption('n', o.n, 16), tags: tagsOption(o.tags), seed }).map((m, i) => {
          const scene = sceneFor(m, rng);
          return { id: `s${String(i).padStart(6, '0')}`, media: imageMedia(render(scene, { size })), prompt: m.prompt, metadata: m, caption: captionScene(scene) };
        });
        const file = writeSamples(o.out, samples);
        if (o.json) return printJson({ out: file, n: samples.length });
        process.stdout.write(`wrote ${samples.length} samples to ${file}\n`);
      }),
    );

  world
    .command('pairs')
    .description('write a preference-pair dataset (PNG + manifest.jsonl)')
    .option('--task <task>', 't2i, t2v or i2v (videos are written as PNG strips with frames in the manifest)', 't2i')
    .option('--criteria <list>', 'alignment, quality, motion, consistency (video), comma-separated', 'alignment')
    .option('--split <split>', 'train, id or ood', 'train')
    .option('--n <n>', 'number of pairs', '100')
    .option('--tags <list>', 'comma-separated GenEval tags')
    .option('--seed <s>', 'random seed', '0')
    .option('--size <px>', 'image side in pixels', '32')
    .option('--label-noise <p>', 'share of swapped labels, 0 to 0.5', '0')
    .option('--frames <n>', 'frames per video (t2v, i2v; the tiny VLM takes at most 8)', String(DEFAULT_FRAMES))
    .requiredOption('--out <dir>', 'output folder (replaced)')
    .option('--json', 'print a JSON summary')
    .action(
      action((o: { task?: string; criteria?: string; split?: string; n?: string; tags?: string; seed?: string; size?: string; labelNoise?: string; frames?: string; out: string; json?: boolean }) => {
        const task = taskOption(o.task);
        const noise = Number(o.labelNoise ?? '0');
        if (!Number.isFinite(noise)) throw new InputError(`--label-noise must be a number in [0, 0.5), got '${o.labelNoise}'`);
        const n = intOption('n', o.n, 100);
        const t0 = performance.now();
        const pairs = makePairs({
          task,
          criteria: (o.criteria ?? 'alignment').split(',').map((s) => s.trim()) as Criterion[],
          split: splitOption(o.split),
          n,
          seed: intOption('seed', o.seed, 0),
          tags: tagsOption(o.tags),
          size: intOption('size', o.size, 32, 8),
          labelNoise: noise,
          frames: intOption('frames', o.frames, DEFAULT_FRAMES, 1),
        });
        const bar = progress('writing', pairs.length, { quiet: o.json });
        const file = writePairs(o.out, pairs, () => bar.tick());
        bar.stop();
        const seconds = (performance.now() - t0) / 1000;
        if (o.json) return printJson({ out: file, n: pairs.length, seconds });
        process.stdout.write(`wrote ${pairs.length} pairs to ${file} in ${seconds.toFixed(1)} s\n`);
      }),
    );

  world
    .command('floor')
    .description('accuracy of prompt-blind rules on a pair dataset (every reward model is reported against it)')
    .requiredOption('--data <dir>', 'dataset folder or manifest.jsonl')
    .option('--json', 'print one JSON object {accuracy, byTag, ...}')
    .action(
      action((o: { data: string; json?: boolean }) => {
        const { dir, pairs } = readManifest(o.data);
        const fp = pairs.map((p) => ({ chosen: readMedia(resolveMedia(dir, p.chosen), p.frames), rejected: readMedia(resolveMedia(dir, p.rejected), p.frames), tag: p.tag, criteria: p.criteria }));
        const r = floorOf(fp);
        if (o.json) return printJson(r);
        process.stdout.write(`floor ${r.accuracy.toFixed(3)} (best rule: ${r.bestRule}) over ${r.n} pairs\n`);
        for (const [t, v] of Object.entries(r.byTag)) process.stdout.write(`  ${t.padEnd(14)} ${v.toFixed(3)}\n`);
      }),
    );

  world
    .command('confusion')
    .description("validate the oracle on rendered scenes (or clips with --task t2v): clause agreement and confusion")
    .option('--n <n>', 'scenes or clips', '500')
    .option('--seed <s>', 'random seed', '0')
    .option('--task <task>', 't2i (scenes) or t2v/i2v (clips: per-frame, motion and consistency agreement)', 't2i')
    .option('--split <split>', 'layout of the clips: train/id or ood', 'id')
    .option('--json', 'print one JSON object')
    .action(
      action((o: { n?: string; seed?: string; task?: string; split?: string; json?: boolean }) => {
        const task = taskOption(o.task);
        if (task !== 't2i') {
          const v = videoConfusion({ n: intOption('n', o.n, 500, 1), seed: intOption('seed', o.seed, 0), task, split: splitOption(o.split) });
          if (o.json) return printJson(v);
          process.stdout.write(`clips ${v.clips}: clause agreement ${v.clauseAgreement.toFixed(4)} (frame clauses ${v.frameClauseAgreement.toFixed(4)}, motion ${v.motionAgreement.toFixed(4)}), consistency verdicts ${v.consistencyAgreement.toFixed(4)}\n`);
          for (const [k, d] of Object.entries(v.degraded)) process.stdout.write(`  ${k.padEnd(9)} consistency ${d.consistency.toFixed(3)} (truth ${d.truth.toFixed(3)}), flagged ${d.flagged.toFixed(3)}\n`);
          return;
        }
        const r = oracleConfusion({ n: intOption('n', o.n, 500, 1), seed: intOption('seed', o.seed, 0) });
        if (o.json) return printJson(r);
        process.stdout.write(`clause agreement ${r.clauseAgreement.toFixed(4)} over ${r.clauses} clauses, objects found ${r.found.toFixed(4)}\n`);
        for (const [t, row] of Object.entries(r.classConfusion)) process.stdout.write(`  ${t.padEnd(9)} ${Object.entries(row).map(([k, v]) => `${k}:${v}`).join(' ')}\n`);
      }),
    );
}
