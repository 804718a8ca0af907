/**
 * The HTML report in a real browser: builds a report from a synthetic study + RL run, opens
 * it in Debian's headless Chromium through playwright-core, and checks that nothing logs an
 * error or fails to load, that every chart is a non-empty SVG and every image decoded, then
 * takes a full-page screenshot and checks it is a real picture. Set RD_REPORT_SHOT_DIR to
 * keep the files for a look.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { decodePng } from '../../src/data/image.js';
import { writeReport } from '../../src/eval/report/index.js';
import { writeSyntheticRun, writeSyntheticStudy } from '../fixtures/report/synthetic.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** A screenshot of the whole page is far bigger than this; a blank or broken page is smaller. */
const MIN_SCREENSHOT_BYTES = 50_000;
/** Distinct colours a real page with charts and sample images shows at least. */
const MIN_SCREENSHOT_COLOURS = 50;

const keep = process.env.RD_REPORT_SHOT_DIR;
const root = keep ? (mkdirSync(keep, { recursive: true }), keep) : mkdtempSync(join(tmpdir(), 'rd-report-browser-'));
afterAll(() => {
  if (!keep) rmSync(root, { recursive: true, force: true });
});

interface PageFacts {
  charts: { name: string | null; width: number; height: number; marks: number }[];
  images: { complete: boolean; naturalWidth: number; width: number }[];
  tables: number;
}

/** Runs in the page (a string, since this project compiles without DOM types). */
const PAGE_FACTS_SCRIPT = `({
  charts: [...document.querySelectorAll('figure.chart')].map((f) => {
    const svg = f.querySelector('svg');
    const box = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
    const marks = svg ? svg.querySelectorAll('[class*="mark-"] path, [class*="mark-"] line, [class*="mark-"] rect').length : 0;
    return { name: f.getAttribute('data-chart'), width: box.width, height: box.height, marks };
  }),
  images: [...document.querySelectorAll('img')].map((i) => ({ complete: i.complete, naturalWidth: i.naturalWidth, width: i.getBoundingClientRect().width })),
  tables: document.querySelectorAll('table').length,
})`;

describe.skipIf(!existsSync(CHROMIUM))('HTML report in headless Chromium', () => {
  it('opens with no errors, every chart drawn and every image decoded; screenshot', async () => {
    const dir = join(root, 'demo');
    writeSyntheticStudy(dir);
    const images = writeSyntheticRun(join(dir, 'rl'));
    const report = await writeReport(dir, { png: false });
    expect(report.images).toBe(images);

    let context: BrowserContext | undefined;
    try {
      context = await chromium.launchPersistentContext(mkdtempSync(join(root, 'profile-')), {
        executablePath: CHROMIUM,
        args: CHROMIUM_ARGS,
        headless: true,
        viewport: { width: 1280, height: 900 },
      });
      const page = context.pages()[0] ?? (await context.newPage());
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
      page.on('request', (r) => {
        if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) problems.push(`external request: ${r.url()}`);
      });
      await page.goto(pathToFileURL(report.html).href, { waitUntil: 'load' });

      const facts = await page.evaluate<PageFacts>(PAGE_FACTS_SCRIPT);
      expect(problems).toEqual([]);
      expect(facts.charts).toHaveLength(report.charts);
      for (const c of facts.charts) {
        expect(c.width, `chart ${c.name} width`).toBeGreaterThan(100);
        expect(c.height, `chart ${c.name} height`).toBeGreaterThan(100);
        expect(c.marks, `chart ${c.name} marks`).toBeGreaterThan(5);
      }
      expect(facts.images).toHaveLength(images);
      for (const img of facts.images) expect(img).toMatchObject({ complete: true, naturalWidth: 16, width: 128 });
      expect(facts.tables).toBeGreaterThanOrEqual(7);

      const shot = join(root, 'report.png');
      await page.screenshot({ path: shot, fullPage: true });
      const bytes = readFileSync(shot);
      expect(bytes.byteLength).toBeGreaterThan(MIN_SCREENSHOT_BYTES);
      const img = decodePng(bytes, shot);
      expect(img.width).toBe(1280);
      expect(img.height).toBeGreaterThan(2000);
      const colours = new Set<number>();
      for (let i = 0; i < img.data.length; i += 3 * 97) colours.add((img.data[i]! << 16) | (img.data[i + 1]! << 8) | img.data[i + 2]!);
      expect(colours.size).toBeGreaterThan(MIN_SCREENSHOT_COLOURS);
    } finally {
      await context?.close();
    }
  });
});
