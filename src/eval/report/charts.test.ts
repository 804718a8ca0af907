import { describe, expect, it } from 'vitest';
import { syntheticMetrics, syntheticStudy } from '../../../test/fixtures/report/synthetic.js';
import {
  accuracyVsParamsChart,
  bestOfNChart,
  contextChart,
  diagnosticsChart,
  lateStdChart,
  mainContext,
  oracleCurveChart,
  paperAccuracyChart,
  paradigmChart,
  renderPng,
  renderSvg,
  rewardCurveChart,
  rewardStdChart,
  rlGainChart,
  slug,
} from './charts.js';
import { ALARM_COLOR } from './charts.js';

const study = syntheticStudy();

/** The inline data values of every layer of a spec (vega-lite keeps them as given). */
function layerValues(spec: unknown): Record<string, unknown>[][] {
  const s = spec as { data?: { values: Record<string, unknown>[] }; layer?: { data?: { values: Record<string, unknown>[] } }[] };
  const top = s.data?.values;
  return (s.layer ?? [s]).map((l) => l.data?.values ?? top ?? []);
}

describe('study chart specs', () => {
  it('picks the context that covers most configurations', () => {
    expect(mainContext(study.accuracy)).toBe('+instruction');
    expect(mainContext([])).toBeUndefined();
  });

  it('accuracy vs params: log x, ID and OOD per series, floor layer', () => {
    const c = accuracyVsParamsChart(study.accuracy)!;
    const json = JSON.stringify(c.spec);
    expect(json).toContain('"type":"log"');
    const [floor, lines] = layerValues(c.spec);
    expect(floor).toHaveLength(18);
    expect(lines).toHaveLength(36);
    expect(new Set(lines!.map((v) => v.split))).toEqual(new Set(['ID', 'OOD']));
    expect(lines).toContainEqual({ params: 4e5, series: 'generative pairwise, pretrained', split: 'ID', accuracy: expect.closeTo(0.71, 9) as number });
  });

  it('paper chart holds the published figures as fractions', () => {
    const [values] = layerValues(paperAccuracyChart().spec);
    expect(values!.filter((v) => v.split === 'ID').map((v) => v.accuracy)).toEqual([0.647, 0.694, 0.654, 0.749, 0.784]);
    expect(values!.filter((v) => v.split === 'OOD').map((v) => v.accuracy)).toEqual([0.691, 0.696, 0.719, 0.719, 0.809]);
  });

  it('paradigm bars use the largest preset with several paradigms', () => {
    const c = paradigmChart(study.accuracy)!;
    expect(c.title).toBe('Paradigms (rm-m)');
    const [values] = layerValues(c.spec);
    expect(new Set(values!.map((v) => v.paradigm))).toEqual(new Set(['generative pairwise', 'generative pointwise', 'Bradley-Terry head']));
    expect(paradigmChart(study.accuracy.filter((r) => r.paradigm === 'bt'))).toBeUndefined();
  });

  it('context bars keep the order first seen', () => {
    const c = contextChart(study.accuracy)!;
    const spec = c.spec as { encoding: { x: { sort: string[] } } };
    expect(spec.encoding.x.sort).toEqual(['+instruction', 'none', '+reference', '+examples', '+cot']);
  });

  it('RL gain error bars are the after-interval shifted by the before score', () => {
    const [, bars] = layerValues(rlGainChart(study.rl)!.spec);
    expect(bars![2]).toMatchObject({ preset: 'rm-m', gain: expect.closeTo(0.04, 9) as number, lo: expect.closeTo(0.01, 9) as number, hi: expect.closeTo(0.07, 9) as number });
    expect(lateStdChart([])).toBeUndefined();
    expect(bestOfNChart([])).toBeUndefined();
  });
});

describe('run chart specs', () => {
  const m = syntheticMetrics();

  it('reward curve has a std band, held-out line and an alarm rule', () => {
    const c = rewardCurveChart(m, 'demo/rl')!;
    expect(c.name).toBe('demo-rl-reward');
    const [band, lines, alarms] = layerValues(c.spec);
    expect(band![0]).toEqual({ step: 0, lo: expect.closeTo(0.3, 9) as number, hi: expect.closeTo(0.7, 9) as number });
    expect(new Set(lines!.map((v) => v.series))).toEqual(new Set(['reward mean', 'held-out reward']));
    expect(alarms).toEqual([{ step: 30, reason: 'reward up while oracle down' }]);
    expect(JSON.stringify(c.spec)).toContain(ALARM_COLOR);
  });

  it('oracle curve uses only steps with an oracle score', () => {
    const [values] = layerValues(oracleCurveChart(m, '.')!.spec);
    expect(values!.map((v) => v.step)).toEqual([0, 5, 10, 15, 20, 25, 30, 35]);
    expect(oracleCurveChart(m.map(({ step, rewardMean, rewardStd }) => ({ step, rewardMean, rewardStd })), '.')).toBeUndefined();
  });

  it('std and diagnostics charts appear only with data', () => {
    expect(rewardStdChart(m, 'x')!.name).toBe('x-reward-std');
    expect(diagnosticsChart([{ step: 0, rewardMean: 0, rewardStd: 0 }], 'x')).toBeUndefined();
    expect(slug('.')).toBe('run');
  });
});

describe('rendering', () => {
  it('renders a spec to SVG with marks and to a PNG', async () => {
    const svg = await renderSvg(accuracyVsParamsChart(study.accuracy)!.spec);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('mark-line');
    expect(svg).toContain('paradigm, init');
    const png = renderPng(svg, 1);
    expect(Array.from(png.subarray(0, 4))).toEqual([0x89, 0x50, 0x4e, 0x47]);
    expect(png.byteLength).toBeGreaterThan(5000);
  });

  it('names each Best-of-N selector in a legend (a legend: null on the band layer hid it)', async () => {
    const rows = [1, 2].flatMap((n) => [{ n, oracle: 0.3, ci: [0.2, 0.4] as [number, number], rm: 'rd-xl' }, { n, oracle: 0.4, ci: [0.3, 0.5] as [number, number], rm: 'oracle (ceiling)' }]);
    const svg = await renderSvg(bestOfNChart(rows)!.spec);
    expect(svg).toContain('role-legend');
  });

  it('refuses to load data from a URL', async () => {
    await expect(renderSvg({ data: { url: 'https://example.com/data.json' }, mark: 'point' })).rejects.toThrow("data.url asks to load 'https://example.com/data.json'; report charts must use inline data only");
  });
});
