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
import { VIDEO_TAGS, clipFor, drawVideoPrompt, renderClip, videoPromptFor, type Clip } from './video.js';
import { degradeClip } from './video-degrade.js';
import { analyzeVideo, scoreClip, scoreVideo, trackMotion } from './video-oracle.js';
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
  it('rejects bad input with InputErrors', () => {
    const { meta, clip } = movingCircle();
    const frames = renderClip(clip);
    expect(() => analyzeVideo(frames, { expectedFrames: 6 })).toThrow(/expected 6 frames, got 8/);
    expect(() => scoreVideo(frames.slice(0, 1), meta)).toThrow(InputError);
    const odd = [...frames.slice(0, 7), renderClip({ ...clip, frames: 1 })[0]!].map((f, i) => (i === 3 ? { width: 16, height: 16, data: new Uint8Array(16 * 16 * 3) } : f));
    expect(() => scoreVideo(videoMedia(odd), meta)).toThrow(/frame 3 is 16x16/);
    expect(() => clipFor(meta, new Rng(1), { frames: 2 })).toThrow(/frames must be an integer from 4/);
    expect(() => makePairs({ task: 't2v', n: 2, seed: 1, frames: 100 })).toThrow(InputError);
    expect(() => makePairs({ task: 't2v', n: 2, seed: 1, tags: ['position'] })).toThrow(/no video prompts/);
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
