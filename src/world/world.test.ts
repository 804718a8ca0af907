import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { Rng } from '../util/rng.js';
import { InputError } from '../errors.js';
import {
  analyzeImage, captionScene, floorOf, makePairs, oracleConfusion, parseGeneval, readGeneval, render, roundRobinClassMap, samplePrompts,
  sceneFor, scoreDetections, scoreMetadata, scoreScene, visualQuestions, WORLD_WORDS, PLAIN_LAYOUT, GENEVAL_TAGS, isHeldOut, degradeImage, SHAPES,
} from './index.js';
import type { Detection } from './score.js';

const GENEVAL = '../shared/benchmarks/geneval/evaluation_metadata.jsonl';
const box = (shape: string, color: string, x: number, y: number, s = 8): Detection => ({ shape, color, x0: x - s / 2, y0: y - s / 2, x1: x + s / 2, y1: y + s / 2 });

describe('rendering and scenes', () => {
  it('is deterministic: same seed, same pixels', () => {
    const m = samplePrompts({ n: 6, seed: 4 });
    const a = m.map((x) => render(sceneFor(x, new Rng(9))));
    const b = m.map((x) => render(sceneFor(x, new Rng(9))));
    expect(a.map((i) => Buffer.from(i.data).toString('hex'))).toEqual(b.map((i) => Buffer.from(i.data).toString('hex')));
    expect(a[0]!.width).toBe(32);
    // anti-aliased: some pixels are neither background nor a palette colour
    const distinct = new Set<string>();
    for (let i = 0; i < a[0]!.data.length; i += 3) distinct.add(a[0]!.data.subarray(i, i + 3).join(','));
    expect(distinct.size).toBeGreaterThan(4);
  });
  it('scenes satisfy their metadata for every tag', () => {
    const rng = new Rng(1);
    for (const m of samplePrompts({ n: 60, seed: 2 })) expect(scoreScene(sceneFor(m, rng), m).correct).toBe(true);
  });
});

describe('GenEval scoring rules on hand-built cases', () => {
  it('counts, exclude clauses, colours and positions', () => {
    const two = { include: [{ class: 'star', count: 2 }], exclude: [{ class: 'star', count: 3 }] };
    expect(scoreDetections([box('star', 'red', 5, 5), box('star', 'blue', 20, 20)], two).correct).toBe(true);
    expect(scoreDetections([box('star', 'red', 5, 5)], two).correct).toBe(false);
    const three = scoreDetections([box('star', 'red', 5, 5), box('star', 'red', 15, 5), box('star', 'red', 25, 5)], two);
    expect(three.clauses.map((c) => c.ok)).toEqual([true, false]);
    const red = { include: [{ class: 'circle', count: 1, color: 'red' }] };
    expect(scoreDetections([box('circle', 'blue', 5, 5), box('circle', 'red', 20, 5)], red).correct).toBe(true);
    expect(scoreDetections([box('circle', 'blue', 5, 5)], red).clauses[0]!.reason).toMatch(/red circle/);
    const pos = { include: [{ class: 'circle', count: 1 }, { class: 'star', count: 1, position: ['left of', 0] as const }] };
    expect(scoreDetections([box('circle', 'red', 24, 16), box('star', 'red', 6, 16)], pos).correct).toBe(true);
    expect(scoreDetections([box('circle', 'red', 6, 16), box('star', 'red', 24, 16)], pos).correct).toBe(false);
    // too close to call: no relation holds
    expect(scoreDetections([box('circle', 'red', 16, 16), box('star', 'red', 15, 16)], pos).correct).toBe(false);
  });
});

describe('oracle', () => {
  it('agrees with the scene spec on >= 99% of clauses', () => {
    const r = oracleConfusion({ n: 400, seed: 11 });
    expect(r.clauseAgreement).toBeGreaterThanOrEqual(0.99);
    expect(r.found).toBeGreaterThan(0.98);
  });
  it('degrades gracefully on blurred and noisy images', () => {
    const mild = oracleConfusion({ n: 150, seed: 12, degradation: { kind: 'blur', severity: 0.3 } });
    const mid = oracleConfusion({ n: 150, seed: 12, degradation: { kind: 'noise', severity: 0.3 } });
    const strong = oracleConfusion({ n: 150, seed: 12, degradation: { kind: 'noise', severity: 1 } });
    expect(mild.clauseAgreement).toBeGreaterThan(0.9);
    // graceful: agreement falls with severity rather than collapsing at the first noise
    expect(mid.clauseAgreement).toBeGreaterThan(0.6);
    expect(strong.clauseAgreement).toBeLessThan(mid.clauseAgreement);
    const m = samplePrompts({ n: 1, seed: 3 })[0]!;
    const img = render(sceneFor(m, new Rng(3)));
    const q0 = analyzeImage(img).quality.score;
    const q1 = analyzeImage(degradeImage(img, { kind: 'blur', severity: 1 }, new Rng(1))).quality.score;
    expect(q0).toBeGreaterThan(0.9);
    expect(q1).toBeLessThan(q0);
    // OOD quality pairs: the split's mild source blur on small objects must not read as sharpness 0 on
    // the clean side (a sharpness that clamped to 0 below 35% solid pixels tied 14 of these 80 pairs at score 0)
    const pairs = makePairs({ task: 't2i', criteria: ['quality'], split: 'ood', n: 80, seed: 5, rationaleFrom: 'scene' });
    const q = (m: (typeof pairs)[number]['chosen']): number => analyzeImage(m.kind === 'image' ? m.image : m.frames[0]!).quality.score;
    const zeroTies = pairs.filter((p) => q(p.chosen) === 0 && q(p.rejected) === 0).length;
    const prefers = pairs.filter((p) => q(p.chosen) > q(p.rejected)).length;
    expect(zeroTies).toBeLessThanOrEqual(8); // 5 of 80 now (other parts at 0), 14 with the clamped sharpness
    expect(prefers / pairs.length).toBeGreaterThan(0.6);
  });
  it('agrees with scenes built from the real GenEval file under a class map', () => {
    const path = existsSync(GENEVAL) ? GENEVAL : 'test/fixtures/world/geneval-sample.jsonl';
    const names = [...new Set(parseGeneval(readFileSync(path, 'utf8'), path).records.flatMap((r) => r.include.map((c) => c.class)))].sort();
    const metas = readGeneval(path, { classMap: roundRobinClassMap(names) });
    const rng = new Rng(5);
    let agree = 0;
    let total = 0;
    for (const m of metas) {
      // a map from 80 classes to 8 shapes can merge a record's two classes; those records are ambiguous
      if (new Set(m.include.map((c) => c.class)).size < m.include.length) continue;
      const scene = sceneFor(m, rng, { style: PLAIN_LAYOUT });
      const s = scoreMetadata(render(scene), m);
      const g = scoreScene(scene, m);
      s.clauses.forEach((c, i) => ((total += 1), (agree += c.ok === g.clauses[i]!.ok ? 1 : 0)));
    }
    expect(total).toBeGreaterThan(50);
    expect(agree / total).toBeGreaterThanOrEqual(0.99);
  });
});

describe('metadata input', () => {
  it('reports malformed lines and unknown classes clearly', () => {
    expect(() => parseGeneval('{"tag":"single_object","include":[{"class":"circle","count":1}],"prompt":"p"}\n{oops\n', 'f.jsonl')).toThrow(/f\.jsonl:2/);
    expect(() => parseGeneval('{"tag":"colors","include":[{"class":"circle","count":1,"color":"teal"}],"prompt":"p"}\n', 'f')).toThrow(/unknown colour 'teal'|unknown colour "teal"/);
    expect(() => parseGeneval('{"tag":"position","include":[{"class":"a","count":1},{"class":"b","count":1,"position":["near",0]}],"prompt":"p"}', 'f')).toThrow(/unknown relation/);
    expect(() => readGeneval('test/fixtures/world/geneval-sample.jsonl')).toThrow(InputError);
    expect(() => readGeneval('test/fixtures/world/geneval-sample.jsonl')).toThrow(/known classes: circle, square/);
  });
});

describe('pairs', () => {
  const pairs = makePairs({ n: 240, seed: 3, split: 'train', criteria: 'alignment' });
  it('labels agree with the oracle', () => {
    let ok = 0;
    for (const p of pairs) {
      if (p.chosen.kind !== 'image' || p.rejected.kind !== 'image') throw new Error('t2i');
      if (scoreMetadata(p.chosen.image, p.metadata).correct && !scoreMetadata(p.rejected.image, p.metadata).correct) ok++;
    }
    expect(ok / pairs.length).toBeGreaterThan(0.97);
  });
  it('keeps prompt-blind rules near chance', () => {
    const f = floorOf(makePairs({ n: 600, seed: 8, split: 'id' }));
    expect(f.accuracy).toBeLessThanOrEqual(0.56);
  });
  it('splits do not overlap and ood uses held-out combinations', () => {
    const id = makePairs({ n: 120, seed: 3, split: 'id' });
    const ood = makePairs({ n: 120, seed: 3, split: 'ood' });
    const hash = (ps: typeof pairs) => new Set(ps.map((p) => (p.chosen.kind === 'image' ? Buffer.from(p.chosen.image.data).toString('base64') : '')));
    const train = hash(pairs);
    for (const h of hash(id)) expect(train.has(h)).toBe(false);
    expect(pairs.every((p) => !isHeldOut(p.metadata))).toBe(true);
    const attr = ood.filter((p) => p.tag !== 'single_object' && p.tag !== 'counting');
    expect(attr.every((p) => isHeldOut(p.metadata))).toBe(true);
    const trainPrompts = new Set(pairs.map((p) => p.prompt));
    expect(attr.some((p) => trainPrompts.has(p.prompt))).toBe(false);
  });
  it('is reproducible and covers every tag', () => {
    const again = makePairs({ n: 240, seed: 3, split: 'train', criteria: 'alignment' });
    expect(again.map((p) => p.rationale)).toEqual(pairs.map((p) => p.rationale));
    expect(new Set(pairs.map((p) => p.tag))).toEqual(new Set(GENEVAL_TAGS));
  });
});

describe('language', () => {
  it('every generated word is in WORLD_WORDS', () => {
    const vocab = new Set(WORLD_WORDS);
    const texts: string[] = [];
    const rng = new Rng(2);
    for (const m of samplePrompts({ n: 120, seed: 5 })) {
      const s = sceneFor(m, rng);
      texts.push(m.prompt, captionScene(s), ...visualQuestions(s, rng).flatMap((q) => [q.question, q.answer]));
    }
    texts.push(...makePairs({ n: 60, seed: 2, criteria: ['alignment', 'quality'] }).map((p) => p.rationale));
    const unknown = new Set(texts.flatMap((t) => t.split(' ')).filter((w) => !vocab.has(w)));
    expect([...unknown]).toEqual([]);
    expect(WORLD_WORDS).toContain(SHAPES[0]);
  });
});
