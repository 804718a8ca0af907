import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../util/rng.js';
import { InputError } from '../errors.js';
import { videoMedia } from '../data/image.js';
import { validateMetadata } from './geneval.js';
import { WORLD_WORDS } from './captions.js';
import { floorOf } from './floor.js';
import { makePairs } from './pairs.js';
import { writePairs } from './pairs-disk.js';
import { oracleReport } from './evaluate.js';
import { OPPOSITE_RELATION, VIDEO_TAGS, clipFor, directionsFor, drawVideoPrompt, renderClip, videoPromptFor, type Clip } from './video.js';
import { degradeClip } from './video-degrade.js';
import { analyzeVideo, frameMetadata, scoreClip, scoreVideo, trackMotion } from './video-oracle.js';
import { scoreDetections } from './score.js';
import { OOD_LAYOUT } from './scene.js';
import { MOTION_ERRORS } from './video-pairs.js';
import { videoConfusion } from './video-confusion.js';
import type { GenevalMetadata } from './types.js';

/** Timeout for the tests that render and read a few hundred clips (seconds of CPU; more on a loaded machine). */
const HEAVY_MS = 300_000;
const hex = (frames: readonly { data: Uint8Array }[]) => frames.map((f) => Buffer.from(f.data).toString('hex')).join('|');

/** A single red circle moving left quickly, from the right half of the frame. */
function movingCircle(): { meta: GenevalMetadata; clip: Clip } {
  const base = { tag: 'colors' as const, include: [{ class: 'circle', count: 1, color: 'red' }], motion: [{ index: 0, kind: 'move' as const, direction: 'left' as const, speed: 'quickly' as const }] };
  const meta = { ...base, prompt: videoPromptFor(base, 't2v') };
  const clip: Clip = { frames: 8, movers: [{ shape: 'circle', color: 'red', x: 0.7, y: 0.5, w: 0.3, h: 0.3, vx: -0.4 / 7, vy: 0, clause: 0 }] };
  return { meta, clip };
}

/** A circle left of a square; the circle moves up slowly, the square stands still. `mirror` puts the circle right of the square instead. */
function circleLeftOfSquare(mirror = false): { meta: GenevalMetadata; clip: Clip } {
  const base = {
    tag: 'position' as const,
    include: [
      { class: 'square', count: 1 },
      { class: 'circle', count: 1, position: ['left of', 0] as const },
    ],
    motion: [
      { index: 0, kind: 'stay' as const },
      { index: 1, kind: 'move' as const, direction: 'up' as const, speed: 'slowly' as const },
    ],
  };
  const meta = { ...base, prompt: videoPromptFor(base, 't2v') };
  const [cx, sx] = mirror ? [0.72, 0.28] : [0.28, 0.72];
  const clip: Clip = {
    frames: 8,
    movers: [
      { shape: 'square', color: 'blue', x: sx, y: 0.5, w: 0.28, h: 0.28, vx: 0, vy: 0, clause: 0 },
      { shape: 'circle', color: 'red', x: cx, y: 0.7, w: 0.28, h: 0.28, vx: 0, vy: -0.2 / 7, clause: 1 },
    ],
  };
  return { meta, clip };
}

/**
 * Per frame, how the oracle reads the record's relation clauses (include clauses with a
 * position), on classes alone (a wrong colour is not a wrong relation): 'yes' when they hold,
 * 'no' when every prompted class is there and a relation fails, 'unread' when a class is missed.
 */
function relationPerFrame(frames: Parameters<typeof analyzeVideo>[0], meta: GenevalMetadata): ('yes' | 'no' | 'unread')[] {
  const bare = { include: meta.include.map(({ color: _color, ...c }) => c) };
  return analyzeVideo(frames).frames.map((f) => {
    const res = scoreDetections(f.objects, bare).clauses;
    if (bare.include.every((c, k) => !c.position || res[k]!.ok)) return 'yes';
    return bare.include.every((c) => f.objects.filter((o) => o.shape === c.class).length >= c.count) ? 'no' : 'unread';
  });
}

describe('video scenes and prompts', () => {
  it('is deterministic: same seed, same clips and pairs', () => {
    const m = drawVideoPrompt('two_object', new Rng(4), 'id', 't2v');
    expect(hex(renderClip(clipFor(m, new Rng(9))))).toBe(hex(renderClip(clipFor(m, new Rng(9)))));
    const a = makePairs({ task: 'i2v', criteria: ['consistency', 'motion'], n: 10, seed: 5 });
    const b = makePairs({ task: 'i2v', criteria: ['consistency', 'motion'], n: 10, seed: 5 });
    expect(a.map((p) => p.rationale)).toEqual(b.map((p) => p.rationale));
    expect(a.map((p) => (p.chosen.kind === 'video' ? hex(p.chosen.frames) : ''))).toEqual(b.map((p) => (p.chosen.kind === 'video' ? hex(p.chosen.frames) : '')));
  }, HEAVY_MS);
  it('writes GenEval records with motion clauses, in the closed vocabulary', () => {
    const vocab = new Set(WORLD_WORDS);
    const rng = new Rng(2);
    const texts: string[] = [];
    for (const task of ['t2v', 'i2v'] as const) {
      for (let i = 0; i < 40; i++) {
        const m = drawVideoPrompt(VIDEO_TAGS[i % VIDEO_TAGS.length]!, rng, i % 2 ? 'ood' : 'id', task);
        expect(validateMetadata(JSON.parse(JSON.stringify(m)), 'x')).toEqual(m);
        expect(m.motion?.length).toBe(m.include.length);
        texts.push(m.prompt);
      }
      texts.push(...makePairs({ task, criteria: ['alignment', 'motion', 'consistency', 'quality'], n: 40, seed: 3 }).map((p) => p.rationale));
    }
    expect(texts.some((t) => t.startsWith('a video of'))).toBe(true);
    expect(texts.some((t) => t.startsWith('then the'))).toBe(true);
    const unknown = new Set(texts.flatMap((t) => t.split(' ')).filter((w) => !vocab.has(w)));
    expect([...unknown]).toEqual([]);
  }, HEAVY_MS);
  it('writes position prompts with the relation and the motions apart, objects moving across the relation', () => {
    const { meta } = circleLeftOfSquare();
    expect(meta.prompt).toBe('a video of a circle left of a square while the circle moves up slowly and the square stays still');
    expect(videoPromptFor(meta, 'i2v')).toBe('then the circle moves up slowly and the square stays still while the circle stays left of the square');
    expect(directionsFor(meta, 0)).toEqual(['up', 'down']);
    expect(directionsFor({ include: [{ class: 'star', count: 1 }, { class: 'ring', count: 1, position: ['above', 0] }] }, 1)).toEqual(['left', 'right']);
    const rng = new Rng(12);
    for (let i = 0; i < 30; i++) {
      const m = drawVideoPrompt('position', rng, i % 2 ? 'ood' : 'id', i % 3 ? 't2v' : 'i2v');
      expect(m.include[1]!.position?.[1]).toBe(0);
      for (const mc of m.motion!) {
        expect(mc.kind).not.toBe('appear');
        if (mc.direction) expect(directionsFor(m, mc.index)).toContain(mc.direction);
      }
    }
  });
  it('checks a relation on every frame, and only where both of its objects are required', () => {
    // an appearing reference: frame 0 has no relation to check, the last frame checks it against the new index
    const base = { tag: 'position' as const, include: [{ class: 'square', count: 1 }, { class: 'circle', count: 1, position: ['left of', 0] as const }], motion: [{ index: 0, kind: 'appear' as const }, { index: 1, kind: 'stay' as const }] };
    expect(frameMetadata(base, 0, 8)).toEqual({ include: [{ class: 'circle', count: 1 }], exclude: [{ class: 'square', count: 1 }] });
    expect(frameMetadata(base, 7, 8).include).toEqual(base.include);
    const { meta, clip } = circleLeftOfSquare();
    expect(scoreClip(clip, meta).correct).toBe(true);
    expect(scoreClip(circleLeftOfSquare(true).clip, meta).frameCorrect).toEqual(Array(8).fill(false));
  });
  it('lays out clips that do what the prompt says', () => {
    const rng = new Rng(7);
    for (let i = 0; i < 40; i++) {
      const m = drawVideoPrompt(VIDEO_TAGS[i % VIDEO_TAGS.length]!, rng, 'id', 't2v');
      const s = scoreClip(clipFor(m, rng), m);
      expect(s.correct).toBe(true);
      expect(s.consistency.score).toBe(1);
    }
  });
});

describe('video oracle', () => {
  it('reads a hand-built clip: direction, speed, per-frame alignment', () => {
    const { meta, clip } = movingCircle();
    const a = analyzeVideo(renderClip(clip));
    expect(a.tracks).toHaveLength(1);
    const mo = trackMotion(a.tracks[0]!, 8);
    expect(mo.direction).toBe('left');
    expect(mo.speed).toBe('quickly');
    const s = scoreVideo(a, meta);
    expect(s.correct).toBe(true);
    expect(s.consistency.score).toBeGreaterThan(0.99);
    const slow: Clip = { ...clip, movers: [{ ...clip.movers[0]!, vx: -0.2 / 7 }] };
    expect(scoreVideo(renderClip(slow), meta).motion).toBe(0);
    const right: Clip = { ...clip, movers: [{ ...clip.movers[0]!, x: 0.3, vx: 0.4 / 7 }] };
    expect(scoreVideo(renderClip(right), meta).motionClauses[0]!.reason).toMatch(/expected 1 circle move left quickly/);
  });
  it('agrees with the clip spec on >= 99% of clauses and flags degraded clips', () => {
    const r = videoConfusion({ n: 90, seed: 3 });
    expect(r.clauseAgreement).toBeGreaterThanOrEqual(0.99);
    expect(r.motionAgreement).toBeGreaterThanOrEqual(0.99);
    expect(r.consistencyAgreement).toBeGreaterThanOrEqual(0.97);
    for (const d of Object.values(r.degraded)) {
      expect(d.n).toBeGreaterThan(10);
      expect(d.flagged).toBeGreaterThan(0.9);
      expect(Math.abs(d.consistency - d.truth)).toBeLessThan(0.05);
    }
  }, HEAVY_MS);
  it('temporal degradations lower the right part of consistency, more at higher severity', () => {
    const rng = new Rng(11);
    const parts = { flicker: 'flicker', jump: 'jumps', identity: 'identity' } as const;
    for (const kind of ['flicker', 'jump', 'identity'] as const) {
      let lo = 0;
      let hi = 0;
      let n = 0;
      for (let i = 0; n < 8 && i < 40; i++) {
        const m = drawVideoPrompt(VIDEO_TAGS[i % VIDEO_TAGS.length]!, rng, 'id', 't2v');
        const clip = clipFor(m, rng);
        const a = degradeClip(clip, { kind, severity: 0.3 }, new Rng(i));
        const b = degradeClip(clip, { kind, severity: 1 }, new Rng(i));
        if (!a || !b) continue;
        n++;
        const sa = scoreVideo(renderClip(a), m).consistency;
        const sb = scoreVideo(renderClip(b), m).consistency;
        expect(sa[parts[kind]]).toBeLessThan(1);
        lo += sa.score;
        hi += sb.score;
        // the other parts stay clean (a jump may also split a track: continuity is not checked)
        for (const p of ['flicker', 'jumps', 'identity'] as const) if (p !== parts[kind]) expect(sa[p]).toBeGreaterThan(0.95);
      }
      expect(n).toBe(8);
      expect(hi).toBeLessThan(lo);
    }
  });
  it('reads relations on rendered position clips as the spec has them', () => {
    const { meta, clip } = circleLeftOfSquare();
    expect(relationPerFrame(renderClip(clip), meta)).toEqual(Array(8).fill('yes'));
    expect(relationPerFrame(renderClip(circleLeftOfSquare(true).clip), meta)).toEqual(Array(8).fill('no'));
    expect(scoreVideo(renderClip(clip), meta).correct).toBe(true);
    // sampled clips of both tasks and splits: every frame's relation holds in the spec, and the oracle reads it so
    const rng = new Rng(21);
    let frames = 0;
    let agree = 0;
    let clips = 0;
    for (let i = 0; i < 40; i++) {
      const ood = i % 2 === 1;
      const m = drawVideoPrompt('position', rng, ood ? 'ood' : 'id', i % 4 < 2 ? 't2v' : 'i2v');
      const c = clipFor(m, rng, ood ? { style: OOD_LAYOUT } : {});
      expect(scoreClip(c, m).correct).toBe(true);
      const seen = relationPerFrame(renderClip(c), m);
      frames += seen.length;
      agree += seen.filter((r) => r === 'yes').length;
      clips++;
    }
    expect(clips).toBe(40);
    // at 7-11 px the oracle occasionally misreads a class on one frame, which fails that frame's clause
    expect(agree / frames).toBeGreaterThanOrEqual(0.98);
  }, HEAVY_MS);
  it('rejects bad input with InputErrors', () => {
    const { meta, clip } = movingCircle();
    const frames = renderClip(clip);
    expect(() => analyzeVideo(frames, { expectedFrames: 6 })).toThrow(/expected 6 frames, got 8/);
    expect(() => scoreVideo(frames.slice(0, 1), meta)).toThrow(InputError);
    const odd = [...frames.slice(0, 7), renderClip({ ...clip, frames: 1 })[0]!].map((f, i) => (i === 3 ? { width: 16, height: 16, data: new Uint8Array(16 * 16 * 3) } : f));
    expect(() => scoreVideo(videoMedia(odd), meta)).toThrow(/frame 3 is 16x16/);
    expect(() => clipFor(meta, new Rng(1), { frames: 2 })).toThrow(/frames must be an integer from 4/);
    expect(() => makePairs({ task: 't2v', n: 2, seed: 1, frames: 100 })).toThrow(InputError);
    expect(() => makePairs({ task: 't2v', n: 2, seed: 1, tags: ['nowhere' as GenevalMetadata['tag']] })).toThrow(/no video prompts/);
  });
});

describe('video pairs', () => {
  it('labels agree with the oracle for every criterion', () => {
    for (const [task, criteria] of [
      ['t2v', 'motion'],
      ['t2v', 'alignment'],
      ['i2v', 'consistency'],
      ['i2v', 'quality'],
    ] as const) {
      const pairs = makePairs({ task, criteria, n: 25, seed: 2 });
      let ok = 0;
      for (const p of pairs) {
        const c = scoreVideo(p.chosen, p.metadata);
        const r = scoreVideo(p.rejected, p.metadata);
        if (criteria === 'motion' ? c.motion > r.motion : criteria === 'alignment' ? c.alignment > r.alignment : criteria === 'consistency' ? c.consistency.score > r.consistency.score : c.quality > r.quality) ok++;
        expect(p.chosen.kind === 'video' && p.chosen.frames.length).toBe(8);
      }
      // quality is judged by the image oracle's per-frame quality score, which misses some mild degradations
      expect(ok / pairs.length, `${task} ${criteria}`).toBeGreaterThanOrEqual(criteria === 'quality' ? 0.84 : 0.92);
    }
  }, HEAVY_MS);
  it('position pairs: the chosen video keeps the relation on every frame, the rejected one has the opposite relation', () => {
    for (const task of ['t2v', 'i2v'] as const) {
      const pairs = makePairs({ task, criteria: 'alignment', tags: ['position'], n: 16, seed: 7 });
      const wrong = pairs.filter((p) => p.error === 'wrong_relation');
      expect(wrong.length).toBeGreaterThanOrEqual(8);
      let frames = 0;
      let unread = 0;
      let named = 0;
      for (const p of wrong) {
        const rel = p.metadata.include[1]!.position!;
        const flipped = { ...p.metadata, include: [p.metadata.include[0]!, { ...p.metadata.include[1]!, position: [OPPOSITE_RELATION[rel[0]], rel[1]] as const }] };
        const chosen = relationPerFrame(p.chosen, p.metadata);
        const rejected = relationPerFrame(p.rejected, p.metadata);
        const opposite = relationPerFrame(p.rejected, flipped);
        // wherever the oracle finds both objects, the chosen video has the relation and the rejected one the opposite
        expect(chosen, task).not.toContain('no');
        expect(rejected, task).not.toContain('yes');
        expect(opposite, task).not.toContain('no');
        frames += chosen.length + opposite.length;
        unread += [...chosen, ...opposite].filter((r) => r === 'unread').length;
        if (/left of|right of|above|below/.test(p.rationale)) named++;
      }
      // frames where the oracle misses one of the two classes (mild blur or noise on one side, small objects)
      expect(unread / frames, task).toBeLessThanOrEqual(0.1);
      // the rationale is the oracle's reading, so it names the relation unless a class was missed
      expect(named / wrong.length, task).toBeGreaterThanOrEqual(0.75);
      // motion pairs of position prompts keep the relation on both sides: only the motion differs
      const motion = makePairs({ task, criteria: 'motion', tags: ['position'], n: 10, seed: 7 });
      for (const p of motion) expect(relationPerFrame(p.rejected, p.metadata), task).not.toContain('no');
      const held = motion.filter((p) => scoreVideo(p.chosen, p.metadata).motion > scoreVideo(p.rejected, p.metadata).motion);
      expect(held.length, task).toBeGreaterThanOrEqual(9);
    }
  }, HEAVY_MS);
  it('gives every motion error its exact share per tag', () => {
    const pairs = makePairs({ task: 't2v', criteria: 'motion', tags: ['counting', 'position'], n: 80, seed: 3 });
    for (const tag of ['counting', 'position'] as const) {
      const of = pairs.filter((p) => p.tag === tag);
      const errors = new Set(of.map((p) => p.error));
      expect(errors.size).toBe(tag === 'counting' ? 5 : 7);
      for (const e of errors) expect(e && MOTION_ERRORS.includes(e as (typeof MOTION_ERRORS)[number])).toBe(true);
      const counts = [...errors].map((e) => of.filter((p) => p.error === e).length);
      expect(Math.max(...counts) - Math.min(...counts), tag).toBeLessThanOrEqual(1);
    }
  }, HEAVY_MS);
  it('i2v pairs start from their condition', () => {
    for (const p of makePairs({ task: 'i2v', criteria: ['consistency', 'quality'], n: 20, seed: 4 })) {
      expect(p.condition).toBeDefined();
      if (p.chosen.kind !== 'video' || p.rejected.kind !== 'video') throw new Error('video pairs');
      if (!p.conflict) expect(hex([p.chosen.frames[0]!])).toBe(hex([p.condition!]));
    }
  });
  it('keeps prompt-blind rules near chance on motion pairs', () => {
    const f = floorOf(makePairs({ task: 't2v', criteria: 'motion', split: 'train', n: 200, seed: 8 }));
    expect(f.accuracy).toBeLessThanOrEqual(0.6);
  }, HEAVY_MS);
  it('round-trips through a manifest and the oracle report', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rd-video-'));
    try {
      const out = join(dir, 'pairs');
      const manifest = writePairs(out, makePairs({ task: 't2v', criteria: ['motion', 'consistency'], n: 12, seed: 6 }));
      const first = JSON.parse(readFileSync(manifest, 'utf8').split('\n')[0]!) as { frames: number; task: string };
      expect(first).toMatchObject({ frames: 8, task: 't2v' });
      const r = oracleReport(manifest);
      expect(r.labelAgreement).toBeGreaterThanOrEqual(0.9);
      expect(Object.keys(r.labelAgreementByCriterion ?? {})).toEqual(['consistency', 'motion']);
      // a video record without its frame count cannot be split into frames
      const lines = readFileSync(manifest, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      delete lines[0]!.frames;
      writeFileSync(manifest, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
      expect(() => oracleReport(manifest)).toThrow(/needs 'frames'/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
