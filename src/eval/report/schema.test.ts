import { describe, expect, it } from 'vitest';
import { InputError } from '../../errors.js';
import { syntheticMetrics, syntheticStudy } from '../../../test/fixtures/report/synthetic.js';
import { parseMetrics, parseRunInfo, parseSamples, parseStudy } from './schema.js';

describe('parseStudy', () => {
  it('accepts a complete study and keeps every row', () => {
    const s = syntheticStudy();
    const parsed = parseStudy(JSON.parse(JSON.stringify(s)), 'study.json');
    expect(parsed.accuracy).toHaveLength(s.accuracy.length);
    expect(parsed.rl[2]!.oracleCi).toEqual([0.61, 0.67]);
    expect(parsed.bestOfN.map((r) => r.n)).toEqual([1, 2, 4, 8, 16]);
  });

  it('treats missing row lists as empty', () => {
    const parsed = parseStudy({ version: 1, command: 'x', date: '2025-09-20' }, 'study.json');
    expect(parsed).toMatchObject({ accuracy: [], rl: [], bestOfN: [] });
  });

  it.each([
    [{ accuracy: [{ ...syntheticStudy().accuracy[0], idAccuracy: 74 }] }, /study\.json: accuracy\[0\]\.idAccuracy: expected a number in \[0, 1\], got 74/],
    [{ accuracy: [{ ...syntheticStudy().accuracy[0], paradigm: 'regression' }] }, /accuracy\[0\]\.paradigm: expected one of 'pairwise', 'pointwise', 'bt', got 'regression'/],
    [{ accuracy: [{ ...syntheticStudy().accuracy[0], n: 0 }] }, /accuracy\[0\]\.n: expected an integer >= 1, got 0/],
    [{ rl: [{ ...syntheticStudy().rl[0], oracleCi: [0.7, 0.6] }] }, /rl\[0\]\.oracleCi: expected an interval with lo <= hi/],
    [{ bestOfN: [{ n: 4, oracle: 0.5 }] }, /bestOfN\[0\]\.ci: expected an array, got nothing/],
    [{ date: 'yesterday' }, /study\.json: date: expected an ISO 8601 date/],
    [{ version: 2 }, /version: expected version 1/],
    [{ acuracy: [] }, /study\.json: acuracy: expected no such field/],
  ])('names the file and field: %#', (patch, message) => {
    const bad = { ...syntheticStudy(), ...patch };
    expect(() => parseStudy(bad, 'study.json')).toThrow(InputError);
    expect(() => parseStudy(bad, 'study.json')).toThrow(message);
  });

  it('rejects a non-object', () => {
    expect(() => parseStudy([], 'out/study.json')).toThrow(/out\/study\.json: expected an object, got an array/);
  });
});

describe('parseMetrics', () => {
  it('reads optional fields and normalises the alarm', () => {
    const lines: unknown[] = syntheticMetrics(3);
    lines.push({ step: 3, rewardMean: 1, rewardStd: 0, alarm: true }, { step: 4, rewardMean: 1, rewardStd: 0, alarm: false }, { step: 5, rewardMean: 1, rewardStd: 0, alarm: null });
    const m = parseMetrics(lines, 'metrics.jsonl');
    expect(m[0]).toMatchObject({ step: 0, oracle: 0.6, oracleCi: [0.55, 0.7], drift: 0 });
    expect(m[1]!.oracle).toBeUndefined();
    expect(m.map((r) => r.alarm)).toEqual([undefined, undefined, undefined, 'alarm', undefined, undefined]);
  });

  it('names the line and field', () => {
    expect(() => parseMetrics([{ step: 0, rewardMean: 0.5, rewardStd: -1 }], 'run/metrics.jsonl')).toThrow(/run\/metrics\.jsonl:1: rewardStd: expected a number in \[0, Infinity\], got -1/);
    expect(() => parseMetrics([{ step: 0, rewardMean: 0.5 }], 'm.jsonl')).toThrow(/m\.jsonl:1: rewardStd: expected a finite number, got nothing/);
  });

  it('requires increasing steps', () => {
    const rows = [{ step: 2, rewardMean: 0, rewardStd: 0 }, { step: 2, rewardMean: 0, rewardStd: 0 }];
    expect(() => parseMetrics(rows, 'm.jsonl')).toThrow(/m\.jsonl:2: step: expected a step greater than the previous line's 2, got 2/);
  });
});

describe('parseSamples and parseRunInfo', () => {
  it('accepts grids of relative image paths', () => {
    const s = parseSamples({ version: 1, grids: [{ kind: 'after', title: 'After', step: 9, images: [{ file: 'a.png', prompt: 'p', reward: 0.4 }] }] }, 'samples.json');
    expect(s.grids[0]).toEqual({ kind: 'after', title: 'After', step: 9, images: [{ file: 'a.png', prompt: 'p', reward: 0.4 }] });
  });

  it.each(['../secret.png', '/etc/passwd', 'a/../../b.png'])('rejects image paths outside the run dir: %s', (file) => {
    expect(() => parseSamples({ version: 1, grids: [{ kind: 'before', title: 'B', images: [{ file }] }] }, 'samples.json')).toThrow(/samples\.json: grids\[0\]\.images\[0\]\.file: expected a path relative to the run dir/);
  });

  it('rejects an unknown grid kind', () => {
    expect(() => parseSamples({ version: 1, grids: [{ kind: 'best', title: 'B', images: [] }] }, 'samples.json')).toThrow(/grids\[0\]\.kind: expected one of 'before', 'after', 'tournament', 'hacked', 'other'/);
  });

  it('reads run.json', () => {
    expect(parseRunInfo({ version: 1, title: 'T', date: '2025-01-02' }, 'run.json')).toEqual({ version: 1, title: 'T', date: '2025-01-02' });
    expect(() => parseRunInfo({ version: 1, steps: 3 }, 'run.json')).toThrow(/run\.json: steps: expected no such field/);
  });
});
