/**
 * SFT export: files parse and match LLaMA-Factory's ShareGPT layout (messages and
 * conversations, dataset_info entry) and ms-swift's messages + images JSONL field by field;
 * both orders give yes and no with the reference first; strips become MP4 videos.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pngBytes } from '../../../test/fixtures/data/writers.js';
import { blankImage, encodePng, framesToStrip } from '../image.js';
import { writeManifest, type PairRecord } from '../manifest.js';
import { probeVideo } from '../video.js';
import { exportSft } from './sft.js';
import { pairwiseInstruction } from './template.js';

const root = mkdtempSync(join(tmpdir(), 'rd-export-'));
let n = 0;

/** A dataset with two decided image pairs (one with a rationale) and a tie. */
function imageDataset(): { dir: string; pairs: PairRecord[] } {
  const dir = join(root, `d${n++}`);
  mkdirSync(join(dir, 'img'), { recursive: true });
  for (let k = 0; k < 4; k++) writeFileSync(join(dir, 'img', `${k}.png`), pngBytes(k));
  const pairs: PairRecord[] = [
    { id: 'p0', task: 't2i', prompt: 'two red cubes', criteria: 'alignment', chosen: 'img/0.png', rejected: 'img/1.png', rationale: 'it shows two cubes, the other one', split: 'train' },
    { id: 'p1', task: 't2i', prompt: 'a blue ball', criteria: 'free text: sharper is better', chosen: 'img/2.png', rejected: 'img/3.png', split: 'id' },
    { id: 'p2', task: 't2i', prompt: 'tie', criteria: 'quality', chosen: 'img/0.png', rejected: 'img/3.png', tie: true },
  ];
  writeManifest(dir, pairs);
  return { dir, pairs };
}

type Msg = { role: string; content: string };
type Conv = { from: string; value: string };
const count = (s: string, sub: string): number => s.split(sub).length - 1;

describe('LLaMA-Factory export', () => {
  it('writes ShareGPT messages with <image> placeholders, reference first, both orders, and the dataset_info entry', async () => {
    const { dir } = imageDataset();
    const out = join(root, `o${n++}`);
    const r = await exportSft({ format: 'llamafactory', data: dir, out, name: 'rd_test' });
    expect(r).toMatchObject({ pairs: 3, samples: 4, yes: 2, no: 2, skippedTies: 1, media: 4 });
    const info = JSON.parse(readFileSync(join(out, 'dataset_info.json'), 'utf8')) as Record<string, unknown>;
    expect(info).toEqual({
      rd_test: { file_name: 'rd_test.json', formatting: 'sharegpt', columns: { messages: 'messages', images: 'images' }, tags: { role_tag: 'role', content_tag: 'content', user_tag: 'user', assistant_tag: 'assistant' } },
    });
    const samples = JSON.parse(readFileSync(join(out, 'rd_test.json'), 'utf8')) as { messages: Msg[]; images: string[] }[];
    expect(samples).toHaveLength(4);
    for (const s of samples) {
      expect(Object.keys(s).sort()).toEqual(['images', 'messages']);
      expect(s.messages.map((m) => Object.keys(m).sort())).toEqual([['content', 'role'], ['content', 'role']]);
      expect(s.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
      expect(count(s.messages[0]!.content, '<image>')).toBe(s.images.length);
      for (const img of s.images) expect(existsSync(join(out, img))).toBe(true);
    }
    const [yes, no] = samples;
    expect(yes!.messages[0]!.content).toBe(pairwiseInstruction('alignment', 'two red cubes', { task: 't2i', cot: 'off' }));
    expect(yes!.messages[1]!.content).toBe('yes');
    expect(no!.messages[1]!.content).toBe('no');
    // yes: reference = rejected (1), candidate = chosen (0); no: the other way round.
    expect(yes!.images).toEqual(['media/img/1.png', 'media/img/0.png']);
    expect(no!.images).toEqual(['media/img/0.png', 'media/img/1.png']);
    expect(readFileSync(join(out, 'media/img/0.png')).equals(Buffer.from(pngBytes(0)))).toBe(true);
    // The reference's placeholder comes before the candidate's.
    const text = yes!.messages[0]!.content;
    expect(text.indexOf('Reference image: <image>')).toBeLessThan(text.indexOf('Candidate image: <image>'));
    expect(samples[2]!.messages[0]!.content).toContain('Criteria: free text: sharper is better.');
  });

  it('writes the conversations spelling with from/value tags, rationales decision-first, one order', async () => {
    const { dir } = imageDataset();
    const out = join(root, `o${n++}`);
    const r = await exportSft({ format: 'llamafactory', data: dir, out, style: 'conversations', cot: 'decision-first', orders: 'one' });
    expect(r).toMatchObject({ samples: 2, yes: 1, no: 1, withRationale: 1 });
    const info = JSON.parse(readFileSync(join(out, 'dataset_info.json'), 'utf8')) as Record<string, { columns: unknown; tags: unknown }>;
    expect(info.rewarddance_pairwise!.columns).toEqual({ messages: 'conversations', images: 'images' });
    expect(info.rewarddance_pairwise!.tags).toEqual({ role_tag: 'from', content_tag: 'value', user_tag: 'human', assistant_tag: 'gpt' });
    const samples = JSON.parse(readFileSync(join(out, 'rewarddance_pairwise.json'), 'utf8')) as { conversations: Conv[] }[];
    expect(samples.map((s) => s.conversations.map((c) => c.from))).toEqual([['human', 'gpt'], ['human', 'gpt']]);
    expect(samples[0]!.conversations[1]!.value).toBe('yes. because it shows two cubes, the other one');
    expect(samples[1]!.conversations[1]!.value).toBe('no');
    expect(samples[0]!.conversations[0]!.value).toContain('Answer "yes" or "no" first, then give a short reason after "because".');
  });
});

describe('ms-swift export', () => {
  it('writes messages + images JSONL, a split filter and absolute media paths', async () => {
    const { dir } = imageDataset();
    const out = join(root, `o${n++}`);
    const r = await exportSft({ format: 'swift', data: dir, out, split: 'train', media: 'absolute' });
    expect(r).toMatchObject({ pairs: 1, samples: 2 });
    expect(existsSync(join(out, 'dataset_info.json'))).toBe(false);
    const lines = readFileSync(join(out, 'rewarddance_pairwise.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { messages: Msg[]; images: string[] });
    expect(lines).toHaveLength(2);
    for (const l of lines) {
      expect(Object.keys(l).sort()).toEqual(['images', 'messages']);
      expect(l.images.every((p) => isAbsolute(p) && existsSync(p))).toBe(true);
      expect(count(l.messages[0]!.content, '<image>')).toBe(2);
    }
    expect(lines.map((l) => l.messages[1]!.content)).toEqual(['yes', 'no']);
    expect(lines[0]!.images).toEqual([join(dir, 'img/1.png'), join(dir, 'img/0.png')]);
  });

  it('turns video strips into MP4 with <video> placeholders, the i2v condition as an image', async () => {
    const dir = join(root, `v${n++}`);
    mkdirSync(dir, { recursive: true });
    const frames = (v: number): ReturnType<typeof blankImage>[] => [0, 1, 2].map((k) => blankImage(8, 8, [v, 10 * k, 0]));
    writeFileSync(join(dir, 'good.png'), encodePng(framesToStrip(frames(200))));
    writeFileSync(join(dir, 'bad.png'), encodePng(framesToStrip(frames(50))));
    writeFileSync(join(dir, 'cond.png'), pngBytes(9, 8));
    writeManifest(dir, [{ id: 'v0', task: 'i2v', prompt: 'the ball rolls right', criteria: 'motion', chosen: 'good.png', rejected: 'bad.png', frames: 3, condition: 'cond.png' }]);
    const out = join(root, `o${n++}`);
    await exportSft({ format: 'swift', data: dir, out });
    const [yes] = readFileSync(join(out, 'rewarddance_pairwise.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { messages: Msg[]; images: string[]; videos: string[] });
    expect(yes!.images).toEqual(['media/cond.png']);
    expect(yes!.videos).toEqual(['media/bad.mp4', 'media/good.mp4']);
    expect(yes!.messages[0]!.content).toBe(pairwiseInstruction('motion', 'the ball rolls right', { task: 'i2v' }));
    expect(count(yes!.messages[0]!.content, '<video>')).toBe(2);
    expect(count(yes!.messages[0]!.content, '<image>')).toBe(1);
    expect(await probeVideo(join(out, 'media/good.mp4'))).toMatchObject({ frames: 3, width: 8, height: 8 });
  });

  it('exports into the dataset folder itself without touching its media', async () => {
    const dir = join(root, `d${n++}`);
    mkdirSync(join(dir, 'media'), { recursive: true });
    writeFileSync(join(dir, 'media', 'a.png'), pngBytes(1));
    writeFileSync(join(dir, 'media', 'b.png'), pngBytes(2));
    writeManifest(dir, [{ id: 'x', task: 't2i', prompt: 'p', criteria: 'quality', chosen: 'media/a.png', rejected: 'media/b.png' }]);
    await exportSft({ format: 'swift', data: dir, out: dir });
    expect(readFileSync(join(dir, 'media', 'a.png')).equals(Buffer.from(pngBytes(1)))).toBe(true);
    const first = JSON.parse(readFileSync(join(dir, 'rewarddance_pairwise.jsonl'), 'utf8').split('\n')[0]!) as { images: string[] };
    expect(first.images).toEqual(['media/b.png', 'media/a.png']);
  });

  it('names the manifest line and pair when a media file is missing', async () => {
    const { dir } = imageDataset();
    writeManifest(dir, [{ id: 'gone', task: 't2i', prompt: 'x', criteria: 'alignment', chosen: 'img/0.png', rejected: 'img/missing.png' }]);
    await expect(exportSft({ format: 'swift', data: dir, out: join(root, `o${n++}`) })).rejects.toThrow(/manifest\.jsonl:1 \(pair 'gone'\): media file .*img\/missing\.png not found/);
    await expect(exportSft({ format: 'swift', data: dir, out: join(root, `o${n++}`), name: 'bad name' })).rejects.toThrow(/--name must be letters/);
  });
});
