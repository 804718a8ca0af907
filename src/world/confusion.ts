/**
 * Oracle validation: renders scenes, reads them back with the oracle and reports clause
 * agreement with the scene spec and the class and colour confusion of matched objects.
 */
import { Rng } from '../util/rng.js';
import { degradeImage, type DegradationSpec } from './degrade.js';
import { analyzeImage, scoreMetadata } from './oracle.js';
import { samplePrompts } from './prompts.js';
import { render } from './render.js';
import { ID_LAYOUT, sceneFor, scoreScene, type LayoutStyle } from './scene.js';

export interface ConfusionReport {
  readonly images: number;
  readonly clauses: number;
  /** Share of clauses where the oracle's verdict equals the scene's. */
  readonly clauseAgreement: number;
  /** Share of records whose overall verdict agrees. */
  readonly promptAgreement: number;
  /** Share of scene objects found at their place (centre within 2 px). */
  readonly found: number;
  /** confusion.class[true][read] and confusion.color[true][read]; 'none' when not found. */
  readonly classConfusion: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly colorConfusion: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly msPerImage: number;
}

/** Centre distance (pixels) within which a detection is matched to a scene object. */
const MATCH_PX = 2;

/**
 * Validates the oracle on `n` rendered scenes (optionally degraded).
 * @example oracleConfusion({ n: 500, seed: 1 }).clauseAgreement // >= 0.99
 */
export function oracleConfusion(opts: { n: number; seed: number; size?: number; style?: LayoutStyle; degradation?: DegradationSpec }): ConfusionReport {
  const size = opts.size ?? 32;
  const metas = samplePrompts({ n: opts.n, seed: opts.seed });
  const rng = new Rng(opts.seed + 1);
  const cls: Record<string, Record<string, number>> = {};
  const col: Record<string, Record<string, number>> = {};
  const bump = (t: Record<string, Record<string, number>>, a: string, b: string) => ((t[a] ??= {})[b] = (t[a][b] ?? 0) + 1);
  let agree = 0;
  let clauses = 0;
  let prompts = 0;
  let objects = 0;
  let found = 0;
  const t0 = performance.now();
  for (const meta of metas) {
    const scene = sceneFor(meta, rng, { style: opts.style ?? ID_LAYOUT });
    let img = render(scene, { size });
    if (opts.degradation) img = degradeImage(img, opts.degradation, rng);
    const a = analyzeImage(img);
    const s = scoreMetadata(a, meta);
    const g = scoreScene(scene, meta);
    s.clauses.forEach((c, i) => {
      clauses++;
      if (c.ok === g.clauses[i]!.ok) agree++;
    });
    if (s.correct === g.correct) prompts++;
    for (const o of scene.objects) {
      objects++;
      const d = a.objects.find((d) => Math.hypot(d.cx - o.x * size, d.cy - o.y * size) < MATCH_PX * (size / 32));
      if (d) found++;
      bump(cls, o.shape, d ? d.shape : 'none');
      bump(col, o.color, d ? d.color : 'none');
    }
  }
  return {
    images: metas.length,
    clauses,
    clauseAgreement: clauses ? agree / clauses : 1,
    promptAgreement: metas.length ? prompts / metas.length : 1,
    found: objects ? found / objects : 1,
    classConfusion: cls,
    colorConfusion: col,
    msPerImage: (performance.now() - t0) / Math.max(1, metas.length),
  };
}
