/**
 * Finds and reads what a report shows: a study (`study.json`) and RL runs (`metrics.jsonl`,
 * `samples.json`, `run.json`) in a dir and its subfolders, with sample images read and
 * checked (known image type, size limit) so that the page can inline them as data URLs.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { InputError } from '../../errors.js';
import { readJson, readJsonl } from '../../util/fs.js';
import {
  METRICS_FILE,
  RUN_INFO_FILE,
  SAMPLES_FILE,
  STUDY_FILE,
  parseMetrics,
  parseRunInfo,
  parseSamples,
  parseStudy,
  type GridKind,
  type MetricRow,
  type RunInfo,
  type SampleImage,
  type StudyFile,
} from './schema.js';

/** How deep below the report dir runs are looked for (`demo/rl/grpo/metrics.jsonl` is depth 2). */
export const MAX_RUN_DEPTH = 2;
/** Largest image the page inlines; bigger ones are an error (the page would be unwieldy). */
export const MAX_INLINE_IMAGE_BYTES = 4 * 1024 * 1024;

/** An image read from disk, ready to inline. */
export interface LoadedImage extends SampleImage {
  readonly mime: string;
  readonly bytes: Uint8Array;
}

/** A grid with its images read. */
export interface LoadedGrid {
  readonly kind: GridKind;
  readonly title: string;
  readonly step?: number;
  readonly images: readonly LoadedImage[];
}

/** One RL run: its metrics, grids and info, any of which may be absent. */
export interface RunContent {
  /** The run dir relative to the report dir ('.' for the dir itself). */
  readonly name: string;
  readonly info?: RunInfo;
  readonly metrics: readonly MetricRow[];
  readonly grids: readonly LoadedGrid[];
}

/** Everything one report shows. */
export interface ReportContent {
  readonly dir: string;
  readonly study?: StudyFile;
  readonly runs: readonly RunContent[];
}

const MAGIC: readonly { mime: string; bytes: readonly number[]; at?: number }[] = [
  { mime: 'image/png', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { mime: 'image/jpeg', bytes: [0xff, 0xd8, 0xff] },
  { mime: 'image/gif', bytes: [0x47, 0x49, 0x46, 0x38] },
  { mime: 'image/webp', bytes: [0x57, 0x45, 0x42, 0x50], at: 8 },
];

/**
 * The MIME type of an image from its first bytes, or undefined when it is none we inline.
 * @example sniffImageType(encodePng(img)); // 'image/png'
 */
export function sniffImageType(bytes: Uint8Array): string | undefined {
  for (const m of MAGIC) {
    const at = m.at ?? 0;
    if (bytes.length >= at + m.bytes.length && m.bytes.every((b, i) => bytes[at + i] === b)) return m.mime;
  }
  return undefined;
}

function loadImage(runDir: string, img: SampleImage, source: string): LoadedImage {
  const path = resolve(runDir, img.file);
  if (!path.startsWith(resolve(runDir) + sep)) throw new InputError(`${source}: image '${img.file}' lies outside the run dir`);
  if (!existsSync(path)) throw new InputError(`${source}: image '${img.file}' not found (looked for ${path})`);
  const size = statSync(path).size;
  if (size > MAX_INLINE_IMAGE_BYTES) throw new InputError(`${source}: image '${img.file}' is ${size} bytes, over the ${MAX_INLINE_IMAGE_BYTES}-byte limit for inlining; write smaller sample images`);
  const bytes = new Uint8Array(readFileSync(path));
  const mime = sniffImageType(bytes);
  if (!mime) throw new InputError(`${source}: '${img.file}' is not a PNG, JPEG, GIF or WebP image`);
  return { ...img, mime, bytes };
}

/**
 * Reads one run dir (any of metrics.jsonl, samples.json, run.json); undefined when it has none.
 * @example const run = loadRun('out/rl', 'rl');
 */
export function loadRun(dir: string, name: string): RunContent | undefined {
  const metricsPath = join(dir, METRICS_FILE);
  const samplesPath = join(dir, SAMPLES_FILE);
  const infoPath = join(dir, RUN_INFO_FILE);
  const has = [metricsPath, samplesPath].some((p) => existsSync(p));
  if (!has) return undefined;
  const metrics = existsSync(metricsPath) ? parseMetrics(readJsonl(metricsPath), metricsPath) : [];
  const info = existsSync(infoPath) ? parseRunInfo(readJson(infoPath), infoPath) : undefined;
  const grids: LoadedGrid[] = [];
  if (existsSync(samplesPath)) {
    const samples = parseSamples(readJson(samplesPath), samplesPath);
    samples.grids.forEach((g, gi) => {
      const images = g.images.map((img, ii) => loadImage(dir, img, `${samplesPath}: grids[${gi}].images[${ii}]`));
      grids.push({ kind: g.kind, title: g.title, ...(g.step === undefined ? {} : { step: g.step }), images });
    });
  }
  return { name, ...(info ? { info } : {}), metrics, grids };
}

function subdirs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules')
    .map((e) => join(dir, e.name))
    .sort();
}

/**
 * Reads a study, run or demo dir: `study.json` at the top, runs at the top and in subfolders
 * up to MAX_RUN_DEPTH deep. An InputError when nothing known is found.
 * @example const content = loadReportContent('out/demo'); // { study?, runs: [...] }
 */
export function loadReportContent(dir: string): ReportContent {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InputError(`${dir}: not a directory; pass a study, RL run or demo output dir`);
  const studyPath = join(dir, STUDY_FILE);
  const study = existsSync(studyPath) ? parseStudy(readJson(studyPath), studyPath) : undefined;
  const runs: RunContent[] = [];
  const visit = (d: string, depth: number): void => {
    const run = loadRun(d, relative(dir, d) || '.');
    if (run) runs.push(run);
    if (depth < MAX_RUN_DEPTH) for (const s of subdirs(d)) visit(s, depth + 1);
  };
  visit(dir, 0);
  if (!study && runs.length === 0) {
    throw new InputError(
      `${dir}: nothing to report: no ${STUDY_FILE}, ${METRICS_FILE} or ${SAMPLES_FILE} here or up to ${MAX_RUN_DEPTH} folders below; ` +
        'pass the --out dir of `rewarddance study`, `rewarddance demo` or an RL run',
    );
  }
  return { dir, ...(study ? { study } : {}), runs };
}
