/**
 * GenEval's scoring rules over detected objects: include clauses (at least `count` of the
 * class, colour of the counted objects, position relative to an earlier clause's objects) and
 * exclude clauses (fewer than `count`). Used on the oracle's detections and on a scene's
 * ground truth, so the two can be compared clause by clause.
 */
import type { GenevalMetadata, Relation } from './types.js';

/** A detected (or ground-truth) object; the box is in any consistent unit (pixels or fractions). */
export interface Detection {
  readonly shape: string;
  readonly color: string;
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

/** The verdict on one clause. */
export interface ClauseResult {
  readonly kind: 'include' | 'exclude';
  readonly index: number;
  readonly ok: boolean;
  /** Why it failed (empty when ok). */
  readonly reason: string;
}

/** The verdict on one record: correct when every clause holds. */
export interface MetadataScore {
  readonly correct: boolean;
  readonly clauses: readonly ClauseResult[];
}

/** GenEval's margin: centre offsets smaller than 0.1 x (sum of the two sizes) count as no offset. */
export const POSITION_THRESHOLD = 0.1;

/**
 * The relations that hold from a to b, GenEval's rule: offsets shrunk by a margin, then
 * a relation holds when its axis carries more than half of the (normalised) offset.
 * @example relativePosition(leftBox, rightBox) // Set { 'left of' }
 */
export function relativePosition(a: Detection, b: Detection): Set<Relation> {
  const ax = (a.x0 + a.x1) / 2;
  const ay = (a.y0 + a.y1) / 2;
  const bx = (b.x0 + b.x1) / 2;
  const by = (b.y0 + b.y1) / 2;
  const ox = ax - bx;
  const oy = ay - by;
  const rx = Math.max(Math.abs(ox) - POSITION_THRESHOLD * (a.x1 - a.x0 + (b.x1 - b.x0)), 0) * Math.sign(ox);
  const ry = Math.max(Math.abs(oy) - POSITION_THRESHOLD * (a.y1 - a.y0 + (b.y1 - b.y0)), 0) * Math.sign(oy);
  const out = new Set<Relation>();
  const norm = Math.hypot(ox, oy);
  if (norm === 0 || (Math.abs(rx) < 1e-9 && Math.abs(ry) < 1e-9)) return out;
  const dx = rx / norm;
  const dy = ry / norm;
  if (dx < -0.5) out.add('left of');
  if (dx > 0.5) out.add('right of');
  if (dy < -0.5) out.add('above');
  if (dy > 0.5) out.add('below');
  return out;
}

/**
 * Scores detections against a record, GenEval-style. Where GenEval takes the detector's
 * first `count` objects of a class, we take those with the required colour first (the
 * detections have no confidence order).
 * @example scoreDetections(dets, meta).correct
 */
export function scoreDetections(dets: readonly Detection[], meta: Pick<GenevalMetadata, 'include' | 'exclude'>): MetadataScore {
  const clauses: ClauseResult[] = [];
  const groups: (Detection[] | null)[] = [];
  meta.include.forEach((req, index) => {
    const ofClass = dets.filter((d) => d.shape === req.class);
    const ordered = req.color ? [...ofClass.filter((d) => d.color === req.color), ...ofClass.filter((d) => d.color !== req.color)] : ofClass;
    const found = ordered.slice(0, req.count);
    let reason = '';
    if (found.length < req.count) reason = `expected ${req.class}>=${req.count}, found ${found.length}`;
    else if (req.color && found.filter((d) => d.color === req.color).length < req.count) {
      reason = `expected ${req.color} ${req.class}>=${req.count}, found ${found.filter((d) => d.color === req.color).length} ${req.color}`;
    } else if (req.position) {
      const [rel, target] = req.position;
      const targets = groups[target];
      if (!targets) reason = `no target for ${req.class} to be ${rel}`;
      else if (!found.every((o) => targets.every((t) => o !== t && relativePosition(o, t).has(rel)))) reason = `expected ${req.class} ${rel} clause ${target}`;
    }
    groups.push(reason === '' ? found : null);
    clauses.push({ kind: 'include', index, ok: reason === '', reason });
  });
  (meta.exclude ?? []).forEach((req, index) => {
    const n = dets.filter((d) => d.shape === req.class).length;
    const ok = n < req.count;
    clauses.push({ kind: 'exclude', index, ok, reason: ok ? '' : `expected ${req.class}<${req.count}, found ${n}` });
  });
  return { correct: clauses.every((c) => c.ok), clauses };
}
