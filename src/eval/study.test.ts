/**
 * The scaling study at the `tiny` budget on a tiny generator: every part runs, study.json
 * validates against the report schema, and the report is written; resume checks the budget,
 * seed and the generator's weights.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FlowUNet, generatorConfig, saveGenerator } from '../models/generator/index.js';
import { manualSeed } from '../tensor/index.js';
import { runStudyScaling, studyStatus } from '../cli/commands/study.js';
import { parseStudy } from './report/index.js';
import { generatorDigest, readStudyProgress, runScalingStudy, studyBudget } from './study.js';

/** A fresh tiny generator (seeded) saved to `dir`. */
function tinyGenerator(dir: string, seed: number): string {
  manualSeed(seed);
  const g = new FlowUNet(generatorConfig('tiny'));
  saveGenerator(dir, g);
  g.dispose();
  return dir;
}

describe('scaling study', () => {
  it('runs the tiny budget end to end and writes a valid study.json and report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rd-study-'));
    const gen = tinyGenerator(join(dir, 'gen'), 0);
    const out = join(dir, 'study');
    const t0 = Date.now();
    const r = await runStudyScaling({ out, budget: 'tiny', generator: gen, json: true }, 'rewarddance study scaling --budget tiny');
    const seconds = (Date.now() - t0) / 1000;
    const study = parseStudy(JSON.parse(readFileSync(r.file, 'utf8')), r.file);
    expect(study.budget).toBe('tiny');
    expect(study.command).toBe('rewarddance study scaling --budget tiny');
    const b = studyBudget('tiny');
    // presets x paradigms x inits, plus the five-step context ladder
    expect(study.accuracy.length).toBe(b.presets.length * 6 + 5);
    expect(study.accuracy.filter((a) => a.context !== 'main').map((a) => a.context)).toEqual(['none', '+instruction', '+reference', '+examples', '+cot']);
    expect(new Set(study.accuracy.map((a) => a.paradigm))).toEqual(new Set(['pairwise', 'pointwise', 'bt']));
    expect(study.rl.map((x) => x.preset)).toEqual(b.presets);
    for (const x of study.rl) expect(x.lateRewardStd).toBeGreaterThanOrEqual(0);
    expect(study.bestOfN.length).toBe(3 * b.bonN.length);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
    expect(seconds).toBeLessThan(60);

    // the same folder again: refused without --resume, refused with other options, and resumed
    // from units.json with every reward model and ReFL run read back rather than retrained
    await expect(runStudyScaling({ out, budget: 'tiny', generator: gen, json: true }, 'x')).rejects.toThrow(/already holds a study.*--resume/);
    await expect(runStudyScaling({ out, budget: 'tiny', generator: gen, seed: '5', resume: true, json: true }, 'x')).rejects.toThrow(/another budget, seed or generator/);
    const units = JSON.parse(readFileSync(join(out, '.work', 'units.json'), 'utf8')) as { units: Record<string, unknown> };
    expect(Object.keys(units.units)).toContain('rd-xs pairwise pretrained');
    // a marker the study could not compute itself proves the row is read back
    const key = 'rd-s bt scratch';
    units.units[key] = { ...(units.units[key] as object), idAccuracy: 0.123 };
    writeFileSync(join(out, '.work', 'units.json'), JSON.stringify(units));
    const r2 = await runStudyScaling({ out, budget: 'tiny', generator: gen, resume: true, json: true }, 'rewarddance study scaling --budget tiny --resume');
    const again = parseStudy(JSON.parse(readFileSync(r2.file, 'utf8')), r2.file);
    expect(again.accuracy.find((a) => a.preset === 'rd-s' && a.paradigm === 'bt' && a.init === 'scratch' && a.context === 'main')!.idAccuracy).toBe(0.123);
    expect(again.accuracy.filter((a) => !(a.preset === 'rd-s' && a.paradigm === 'bt' && a.init === 'scratch')).map((a) => a.oodAccuracy)).toEqual(
      study.accuracy.filter((a) => !(a.preset === 'rd-s' && a.paradigm === 'bt' && a.init === 'scratch')).map((a) => a.oodAccuracy),
    );
    expect(again.rl).toEqual(study.rl);
    // the time it reports is the last sitting's, and says so; a study run in one go says only its time
    expect(study.notes).toMatch(/^Budget 'tiny' \(\d+ s\):/);
    expect(again.notes).toMatch(/^Budget 'tiny' \(\d+ s in its last sitting, after \d+ units done in earlier ones\):/);

    // the key holds the generator's weights digest: a study from before it was recorded adopts
    // it on resume, and a retrained generator in the same folder is refused
    const unitsFile = join(out, '.work', 'units.json');
    const keyed = JSON.parse(readFileSync(unitsFile, 'utf8')) as { key: { generatorDigest?: string } };
    expect(keyed.key.generatorDigest).toBe(generatorDigest(gen));
    delete keyed.key.generatorDigest;
    writeFileSync(unitsFile, JSON.stringify(keyed));
    await runStudyScaling({ out, budget: 'tiny', generator: gen, resume: true, json: true }, 'x');
    expect((JSON.parse(readFileSync(unitsFile, 'utf8')) as { key: { generatorDigest?: string } }).key.generatorDigest).toBe(generatorDigest(gen));
    const gen2 = tinyGenerator(join(dir, 'gen2'), 1);
    const before = readFileSync(unitsFile, 'utf8');
    for (const f of ['config.json', 'model.safetensors']) writeFileSync(join(gen, f), readFileSync(join(gen2, f)));
    await expect(runStudyScaling({ out, budget: 'tiny', generator: gen, resume: true, json: true }, 'x')).rejects.toThrow(/generator in '.*' has changed since the study .* started \(weights digest [0-9a-f]{16}, now [0-9a-f]{16}\)/);
    expect(readFileSync(unitsFile, 'utf8')).toBe(before);

    // study status: a finished study has nothing pending and the same rows; a stopped one lists
    // what is left and still writes a partial study.json that the report accepts
    const all = readStudyProgress(out);
    expect(all.pending).toEqual([]);
    await expect(studyStatus({ out, report: true, json: true }, 'x')).rejects.toThrow(/is finished and its study.json is complete/);
    expect(all.study.accuracy.map((a) => [a.preset, a.paradigm, a.init, a.context])).toEqual(again.accuracy.map((a) => [a.preset, a.paradigm, a.init, a.context]));
    const cut = JSON.parse(readFileSync(join(out, '.work', 'units.json'), 'utf8')) as { units: Record<string, unknown> };
    for (const k of ['rd-s ReFL', 'ablation +cot', 'rd-s bt pretrained']) delete cut.units[k];
    writeFileSync(join(out, '.work', 'units.json'), JSON.stringify(cut));
    const part = readStudyProgress(out);
    expect(part.pending).toEqual(['rd-s ReFL', 'rd-s bt pretrained', 'ablation +cot']);
    expect(part.study.notes).toMatch(/^Partial: \d+ of \d+ units/);
    await studyStatus({ out, report: true, json: true }, 'rewarddance study status --report');
    const partial = parseStudy(JSON.parse(readFileSync(join(out, 'study.json'), 'utf8')), 'study.json');
    expect(partial.accuracy.length).toBe(study.accuracy.length - 2);
    expect(partial.rl.map((x) => x.preset)).toEqual(['rd-xs']);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
    expect(() => readStudyProgress(join(dir, 'nothing-here'))).toThrow(/holds no study/);
  }, 180_000);

  it('retrains the checkpoints a resumed study needs when only units.json is left (a fresh clone), reproducing them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rd-study-'));
    const gen = tinyGenerator(join(dir, 'gen'), 0);
    const out = join(dir, 'study');
    const first = await runScalingStudy({ out, budget: studyBudget('tiny'), generator: gen, command: 'x', report: false });
    // what git keeps of a study: units.json, not the checkpoints beside it
    for (const preset of ['rd-xs', 'rd-s']) rmSync(join(out, '.work', preset), { recursive: true });
    const unitsFile = join(out, '.work', 'units.json');
    const saved = JSON.parse(readFileSync(unitsFile, 'utf8')) as { units: Record<string, unknown> };
    for (const k of ['rd-xs ReFL', 'rd-xs Best-of-N', 'rd-s ReFL', 'rd-s pointwise scratch']) delete saved.units[k];
    writeFileSync(unitsFile, JSON.stringify(saved));
    // study status tells the same order the resumed study takes
    expect(readStudyProgress(out).pending).toEqual(['rd-s pointwise scratch', 'rd-xs ReFL', 'rd-xs Best-of-N', 'rd-s ReFL']);
    const ran: string[] = [];
    const notes: string[] = [];
    const again = await runScalingStudy({
      out,
      budget: studyBudget('tiny'),
      generator: gen,
      command: 'x',
      report: false,
      resume: true,
      onProgress: (_d, _t, label) => ran.push(label),
      onNote: (m) => notes.push(m),
    });
    // the unit that needs no checkpoint first; the judges' units after their models are retrained
    expect(ran.filter((l) => !l.endsWith('(done before)'))).toEqual(['pairs and floor', 'rd-s pointwise scratch', 'rd-xs ReFL', 'rd-xs Best-of-N', 'rd-s ReFL', 'report']);
    expect(notes.filter((m) => /pretrained checkpoint is not in .*; pretraining it again/.test(m)).length).toBe(2);
    expect(notes.filter((m) => /pretrained pairwise model is not in .*; training it again/.test(m)).length).toBe(2);
    expect(notes.filter((m) => m.includes(': retrained pairwise model')).length).toBe(2);
    // training is a function of the seed: the retrained models are the recorded ones
    for (const m of notes.filter((n) => n.includes(': retrained pairwise model'))) {
      const [, now, was] = /ID (\S+ \/ OOD \S+) \(recorded (\S+ \/ \S+)\)/.exec(m)!;
      expect(now?.replace(' / OOD', ' /')).toBe(was);
    }
    expect(again.study.rl).toEqual(first.study.rl);
    expect(again.study.bestOfN).toEqual(first.study.bestOfN);
    expect(again.study.accuracy).toEqual(first.study.accuracy);
  }, 180_000);

  it('names the missing generator and unknown budgets', async () => {
    await expect(runStudyScaling({ out: join(tmpdir(), 'rd-none'), budget: 'tiny', generator: '/nonexistent/gen' }, 'x')).rejects.toThrow(/generator folder '\/nonexistent\/gen' not found/);
    await expect(runStudyScaling({ out: join(tmpdir(), 'rd-none'), budget: 'huge', generator: 'x' }, 'x')).rejects.toThrow(/unknown study budget 'huge'.*tiny, small, full/);
  });
});
