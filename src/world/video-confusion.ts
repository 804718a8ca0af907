/**
 * Video oracle validation: renders clips (half of them with a motion error), reads them back
 * with the video oracle and reports clause agreement with the clip spec (per-frame object
 * clauses and motion clauses), the share of clean clips read as consistent, and how the
 * consistency score falls under each temporal degradation against the spec's own score.
 */
import type { Split } from '../data/manifest.js';
import { Rng } from '../util/rng.js';
import { scoreDetections } from './score.js';
import { ID_LAYOUT, OOD_LAYOUT } from './scene.js';
import { VIDEO_TAGS, DEFAULT_FRAMES, checkFrames, clipFor, drawVideoPrompt, renderClip, type Clip, type VideoTask } from './video.js';
import { TEMPORAL_DEGRADATIONS, degradeClip, type TemporalDegradation } from './video-degrade.js';
import { analyzeVideo, clipTracks, frameMetadata, scoreClip, scoreVideo } from './video-oracle.js';
import { motionClips } from './video-pairs.js';
import type { GenevalMetadata } from './types.js';

/** A clean clip counts as read consistent when the oracle's consistency is at least this. */
export const CONSISTENT_AT = 0.99;

export interface VideoConfusionReport {
  readonly clips: number;
  readonly clauses: number;
  /** Share of clauses (per-frame object clauses and motion clauses) where oracle and spec agree. */
  readonly clauseAgreement: number;
  readonly frameClauseAgreement: number;
  readonly motionAgreement: number;
  readonly motionClauses: number;
  /** Share of clips whose overall verdict (every frame and motion clause) agrees. */
  readonly promptAgreement: number;
  /** Share of undegraded clips where the oracle and the spec agree on 'consistent' (score >= CONSISTENT_AT). */
  readonly consistencyAgreement: number;
  /** Per temporal degradation: mean oracle consistency, the spec's, and the share flagged (< CONSISTENT_AT). */
  readonly degraded: Readonly<Record<TemporalDegradation, { readonly n: number; readonly consistency: number; readonly truth: number; readonly flagged: number }>>;
  readonly msPerClip: number;
}

/**
 * Validates the video oracle on `n` rendered clips.
 * @example videoConfusion({ n: 300, seed: 1 }).clauseAgreement // >= 0.99
 */
export function videoConfusion(opts: { n: number; seed: number; task?: VideoTask; split?: Split; frames?: number; size?: number; severity?: number }): VideoConfusionReport {
  const task = opts.task ?? 't2v';
  const split = opts.split ?? 'id';
  const frames = checkFrames(opts.frames ?? DEFAULT_FRAMES);
  const style = split === 'ood' ? OOD_LAYOUT : ID_LAYOUT;
  const rng = new Rng(opts.seed * 31 + 7);
  let frameAgree = 0;
  let frameClauses = 0;
  let motionAgree = 0;
  let motionClauses = 0;
  let prompts = 0;
  let clean = 0;
  let consistent = 0;
  const deg = Object.fromEntries(TEMPORAL_DEGRADATIONS.map((k) => [k, { n: 0, consistency: 0, truth: 0, flagged: 0 }])) as Record<TemporalDegradation, { n: number; consistency: number; truth: number; flagged: number }>;
  const t0 = performance.now();
  let clips = 0;
  for (let i = 0; clips < opts.n; i++) {
    if (i > opts.n * 5 + 50) break;
    const tag = VIDEO_TAGS[i % VIDEO_TAGS.length]!;
    let meta: GenevalMetadata;
    let clip: Clip;
    if (i % 2 === 1) {
      const mc = motionClips(tag, rng, style, split, task, frames);
      if (!mc) continue;
      meta = mc.meta;
      clip = mc.bad;
    } else {
      meta = drawVideoPrompt(tag, rng, split === 'ood' ? 'ood' : 'id', task);
      try {
        clip = clipFor(meta, rng, { style, frames });
      } catch {
        continue;
      }
    }
    clips++;
    const a = analyzeVideo(renderClip(clip, { size: opts.size }));
    const s = scoreVideo(a, meta);
    const g = scoreClip(clip, meta);
    const truth = clipTracks(clip);
    for (let t = 0; t < frames; t++) {
      const fm = frameMetadata(meta, t, frames);
      const oc = scoreDetections(a.frames[t]!.objects, fm).clauses;
      const gc = scoreDetections(
        truth.flatMap((tr) => tr.points.filter((p) => p.frame === t).map((p) => ({ shape: p.shape, color: p.color, x0: p.cx - p.size / 2, y0: p.cy - p.size / 2, x1: p.cx + p.size / 2, y1: p.cy + p.size / 2 }))),
        fm,
      ).clauses;
      oc.forEach((c, k) => ((frameClauses += 1), (frameAgree += c.ok === gc[k]!.ok ? 1 : 0)));
    }
    s.motionClauses.forEach((c, k) => ((motionClauses += 1), (motionAgree += c.ok === g.motionClauses[k]!.ok ? 1 : 0)));
    if (s.correct === g.correct) prompts++;
    clean++;
    if (s.consistency.score >= CONSISTENT_AT === g.consistency.score >= CONSISTENT_AT) consistent++;
    // the same clip under one temporal degradation
    const kind = TEMPORAL_DEGRADATIONS[clips % TEMPORAL_DEGRADATIONS.length]!;
    const d = degradeClip(clip, { kind, severity: opts.severity ?? rng.uniform(0.3, 1) }, rng);
    if (d) {
      const dc = scoreVideo(renderClip(d, { size: opts.size }), meta).consistency.score;
      const e = deg[kind];
      e.n++;
      e.consistency += dc;
      e.truth += scoreClip(d, meta).consistency.score;
      if (dc < CONSISTENT_AT) e.flagged++;
    }
  }
  for (const e of Object.values(deg)) {
    if (!e.n) continue;
    e.consistency /= e.n;
    e.truth /= e.n;
    e.flagged /= e.n;
  }
  const clauses = frameClauses + motionClauses;
  return {
    clips,
    clauses,
    clauseAgreement: clauses ? (frameAgree + motionAgree) / clauses : 1,
    frameClauseAgreement: frameClauses ? frameAgree / frameClauses : 1,
    motionAgreement: motionClauses ? motionAgree / motionClauses : 1,
    motionClauses,
    promptAgreement: clips ? prompts / clips : 1,
    consistencyAgreement: clean ? consistent / clean : 1,
    degraded: deg,
    msPerClip: (performance.now() - t0) / Math.max(1, clips),
  };
}
