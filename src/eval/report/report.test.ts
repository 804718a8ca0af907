import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { register } from '../../cli/commands/report.js';
import { writeSyntheticRun, writeSyntheticStudy } from '../../../test/fixtures/report/synthetic.js';
import { writeJsonAtomic } from '../../util/fs.js';
import { escapeHtml, scopeSvgIds } from './html.js';
import { writeReport } from './index.js';
import { mdCell } from './markdown.js';

const root = mkdtempSync(join(tmpdir(), 'rd-report-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const NOW = new Date('2025-09-21T00:00:00Z');

describe('writeReport', () => {
  it('writes a run report: page, summary and chart PNGs', async () => {
    const dir = join(root, 'run');
    const images = writeSyntheticRun(dir);
    const r = await writeReport(dir, { now: NOW });
    expect(r).toMatchObject({ html: join(dir, 'report.html'), markdown: join(dir, 'report.md'), charts: 4, images });
    expect(r.pngs).toHaveLength(4);
    for (const p of r.pngs) expect(existsSync(p)).toBe(true);
    const html = readFileSync(r.html, 'utf8');
    expect(html.match(/<figure class="chart"/g)).toHaveLength(4);
    expect(html.match(/<img src="data:image\/png;base64,/g)).toHaveLength(images);
    expect(html).toContain('fired at 1 step(s), first at step 30: reward up while oracle down');
    expect(html).toContain('3 square(s) &lt;hacked&gt;');
    expect(html).not.toMatch(/<script|src="http|href="http/);
    const md = readFileSync(r.markdown, 'utf8');
    expect(md).toContain('# ReFL with rm-m (fixture)');
    expect(md).toContain('![Reward over RL steps](report-assets/run-reward.png)');
    expect(md).toContain('**Before RL**: 3 image(s), shown in [report.html](report.html).');
  });

  it('writes a demo report with the study beside the paper and a run below', async () => {
    const dir = join(root, 'demo');
    writeSyntheticStudy(dir);
    writeSyntheticRun(join(dir, 'rl'));
    const out = join(root, 'elsewhere', 'demo.html');
    const r = await writeReport(dir, { out, png: false, now: NOW });
    expect(r.markdown).toBe(join(root, 'elsewhere', 'demo.md'));
    expect(r.charts).toBe(11);
    expect(r.pngs).toEqual([]);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('<title>RewardDance demo report</title>');
    expect(html).toContain('Paper (published)');
    expect(html).toContain('78.4%');
    expect(html).toContain('rewarddance study scaling --out /tmp/study --budget small');
    expect(html).toContain('<section id="run-rl">');
    const md = readFileSync(r.markdown, 'utf8');
    expect(md).toContain('| 26B | 78.4% | 80.9% |');
    expect(md).toContain('Command: `rewarddance study scaling --out /tmp/study --budget small`');
    expect(html).toContain('<p>Command: <code>rewarddance study scaling --out /tmp/study --budget small</code></p>');
    expect(md).toContain('| rm-m | 400k | 0.07 | 0.6 | 0.64 | +0.04 | [0.61, 0.67] | 50 |');
    expect(md).toContain('*Chart "Reward-model accuracy vs size (ours)" is in [demo.html](demo.html).*');
  });

  it('gives every inline SVG its own ids', async () => {
    const dir = join(root, 'demo');
    const html = readFileSync((await writeReport(dir, { png: false, now: NOW })).html, 'utf8');
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('keeps chart files apart when two runs share a file stem', async () => {
    const dir = join(root, 'twins');
    writeSyntheticRun(join(dir, 'x_1'));
    writeSyntheticRun(join(dir, 'x-1'));
    const r = await writeReport(dir, { now: NOW });
    expect(r.charts).toBe(8);
    expect(new Set(r.pngs).size).toBe(8);
    expect(r.pngs).toContain(join(dir, 'report-assets', 'x-1-reward-2.png'));
  });

  it('says what is missing for an empty dir, and names a bad file', async () => {
    const empty = join(root, 'empty');
    mkdirSync(empty);
    await expect(writeReport(empty)).rejects.toThrow(/nothing to report: no study\.json, metrics\.jsonl or samples\.json/);
    await expect(writeReport(join(root, 'nope'))).rejects.toThrow(/not a directory/);
    const bad = join(root, 'bad');
    writeJsonAtomic(join(bad, 'samples.json'), { version: 1, grids: [{ kind: 'after', title: 'A', images: [{ file: 'missing.png' }] }] });
    await expect(writeReport(bad)).rejects.toThrow(/samples\.json: grids\[0\]\.images\[0\]: image 'missing\.png' not found/);
    writeFileSync(join(bad, 'missing.png'), 'not an image');
    await expect(writeReport(bad)).rejects.toThrow(/'missing\.png' is not a PNG, JPEG, GIF or WebP image/);
  });
});

describe('helpers', () => {
  it('escapes HTML and Markdown cells', () => {
    expect(escapeHtml(`<b a="x">&'`)).toBe('&lt;b a=&quot;x&quot;&gt;&amp;&#39;');
    expect(mdCell('a|b\nc')).toBe('a\\|b c');
  });
  it('scopes SVG ids and references', () => {
    expect(scopeSvgIds('<clipPath id="clip1"/><g clip-path="url(#clip1)"/><use href="#clip1"/>', 'c2')).toBe('<clipPath id="c2-clip1"/><g clip-path="url(#c2-clip1)"/><use href="#c2-clip1"/>');
  });
});

describe('rewarddance report', () => {
  it('--json prints paths and counts', async () => {
    const program = new Command().exitOverride();
    register(program);
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
    try {
      await program.parseAsync(['node', 'rewarddance', 'report', join(root, 'run'), '--json', '--no-png']);
    } finally {
      spy.mockRestore();
    }
    expect(JSON.parse(out.join(''))).toEqual({ html: join(root, 'run', 'report.html'), markdown: join(root, 'run', 'report.md'), charts: 4, images: 12 });
  });
});
