/**
 * The demo at its quick size with a freshly trained tiny pairwise reward model and a tiny
 * generator: scores, tournament references, ReFL, run files and the report.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SPECIAL_TOKENS, Tokenizer } from '../data/tokenizer.js';
import { FlowUNet, generatorConfig, saveGenerator } from '../models/generator/index.js';
import { vlmConfig } from '../models/vlm/config.js';
import { DEFAULT_CONTEXT } from '../models/vlm/prompting.js';
import { manualSeed } from '../tensor/index.js';
import { pairItems } from '../train/reward/data.js';
import { defaultVocabulary } from '../train/reward/pretrain-data.js';
import { DEFAULT_RM_TRAIN_CONFIG, trainRewardModel } from '../train/reward/trainer.js';
import { makePairs } from '../world/pairs.js';
import { runDemoCommand } from '../cli/commands/demo.js';
import { loadReportContent } from './report/index.js';

describe('demo', () => {
  it('runs the quick demo end to end and names the report on its last line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rd-demo-'));
    manualSeed(0);
    const gen = join(dir, 'gen');
    const g = new FlowUNet(generatorConfig('tiny'));
    saveGenerator(gen, g);
    g.dispose();
    const rm = join(dir, 'rm');
    const vocab = [...SPECIAL_TOKENS, ...defaultVocabulary()];
    const pairs = makePairs({ task: 't2i', criteria: 'alignment', split: 'train', n: 4, seed: 1 });
    const items = pairItems(pairs, 'pairwise', DEFAULT_CONTEXT, new Tokenizer(defaultVocabulary()), 0);
    trainRewardModel({ out: rm, config: { ...DEFAULT_RM_TRAIN_CONFIG, steps: 2, batchSize: 4, evalEvery: 0 }, model: { config: vlmConfig({ dim: 32, layers: 2, heads: 2, stemChannels: 8, patch: 8, vocab }) }, items }).model.dispose();

    const out = join(dir, 'demo');
    const lines: string[] = [];
    const t0 = Date.now();
    const r = await runDemoCommand({ out, generator: gen, rm, quick: true }, (l) => lines.push(l), 'rewarddance demo --quick');
    expect((Date.now() - t0) / 1000).toBeLessThan(60);
    expect(lines.at(-1)).toBe(`report: ${r.report.html}`);
    expect(lines.some((l) => l.includes('pointwise (oracle)') && l.includes('pairwise P(win)'))).toBe(true);
    expect(lines.filter((l) => l.includes('<- reference')).length).toBe(2);
    expect(r.scores.length).toBe(2);
    for (const f of ['study.json', 'scores.json', 'rl/metrics.jsonl', 'rl/samples.json', 'rl/run.json', 'report.html', 'report.md']) expect(existsSync(join(out, f))).toBe(true);
    const content = loadReportContent(out);
    expect(content.study?.bestOfN.map((b) => b.n)).toEqual([1, 2]);
    expect(content.runs[0]!.metrics.map((m) => m.step)).toEqual([1, 2]);
    expect(content.runs[0]!.grids.map((g2) => g2.kind)).toEqual(['tournament', 'before', 'after']);
    expect(readFileSync(r.report.html, 'utf8')).toContain('<html');
  }, 120_000);

  it('names missing model folders', async () => {
    await expect(runDemoCommand({ out: join(tmpdir(), 'rd-x'), generator: '/nope/gen', rm: '/nope/rm', quick: true }, () => undefined, 'x')).rejects.toThrow(/generator folder '\/nope\/gen' not found/);
  });
});
