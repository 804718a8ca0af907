import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { framesToStrip, writePng } from '../../data/image.js';
import { contractImage } from '../../rewards/contract.js';
import { startReplayServer, syntheticJudge, type ReplayServer } from '../../rewards/replay-server.js';
import { runScore } from './score.js';
import { runSelect } from './select.js';

let server: ReplayServer;
let dir: string;
const file = (name: string): string => join(dir, name);

beforeAll(async () => {
  server = await startReplayServer({ respond: syntheticJudge() });
  dir = mkdtempSync(join(tmpdir(), 'rd-score-'));
  for (let i = 0; i < 5; i++) writePng(file(`c${i}.png`), contractImage(i + 1));
  writePng(file('strip.png'), framesToStrip([contractImage(7), contractImage(8), contractImage(9)]));
  writeFileSync(file('corrupt.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]));
  writeFileSync(file('notes.txt'), 'hello');
});
afterAll(async () => {
  await server.close();
});

describe('score command (remote model over loopback)', () => {
  it('scores a pointwise image and a pairwise batch with debiasing', async () => {
    const one = await runScore({ model: server.url, prompt: 'a red circle', image: [file('c0.png')] });
    expect(one.rows).toHaveLength(1);
    expect(one.rows[0]).toMatchObject({ file: file('c0.png'), reward: expect.any(Number) as number, pYesVocab: expect.any(Number) as number });
    const pair = await runScore({ model: server.url, prompt: 'p', image: [file('c1.png'), file('c2.png')], reference: file('c3.png'), debias: true, cot: 'reason-first' });
    expect(pair.failed).toBe(0);
    for (const r of pair.rows) {
      if ('error' in r) throw new Error(r.error);
      expect(r.reward).toBeCloseTo((r.rewardForward! + 1 - r.rewardSwapped!) / 2, 12);
      expect(r.positionConsistent).toBe(true); // the synthetic judge has no position bias
      expect(r.rationale).toMatch(/candidate/);
    }
  });
  it('reads PNG strips as videos', async () => {
    const { rows } = await runScore({ model: server.url, prompt: 'p', image: [file('strip.png')], frames: '3' });
    expect('reward' in rows[0]!).toBe(true);
    const body = server.requests.at(-1)!.body as { messages: { content: { type: string; text?: string }[] }[] };
    expect(body.messages[0]!.content.filter((c) => c.type === 'image_url')).toHaveLength(3);
    expect(body.messages[0]!.content[0]!.text).toContain('text-to-video');
  });
  it('stops at the first bad file, or reports each with --keep-going', async () => {
    await expect(runScore({ model: server.url, prompt: 'p', image: [file('c0.png'), file('missing.png')] })).rejects.toThrow(/missing.png: no such file/);
    const r = await runScore({ model: server.url, prompt: 'p', image: [file('c0.png'), file('missing.png'), file('corrupt.png'), file('notes.txt')], keepGoing: true });
    expect(r.failed).toBe(3);
    expect(r.rows.map((x) => ('error' in x ? x.error : 'ok'))).toEqual([
      'ok',
      expect.stringMatching(/missing.png: no such file/),
      expect.stringMatching(/corrupt.png: .*(corrupt|decoded|readable)/),
      expect.stringMatching(/notes.txt: unsupported or corrupt file; expected a PNG, JPEG or WebP image, or a GIF, MP4 or WebM video/),
    ]);
  });
  it('checks flags', async () => {
    await expect(runScore({ model: server.url, prompt: 'p', image: [file('c0.png')], debias: true })).rejects.toThrow(/--debias .* pass --reference/);
    await expect(runScore({ model: server.url, prompt: 'p', image: [file('c0.png')], cot: 'sometimes' })).rejects.toThrow(/--cot must be one of off, decision-first, reason-first/);
    await expect(runScore({ model: 'nope', prompt: 'p', image: [file('c0.png')] })).rejects.toThrow(/unknown reward model 'nope'/);
  });
});

describe('select command (remote model over loopback)', () => {
  const images = (): string[] => [0, 1, 2, 3, 4].map((i) => file(`c${i}.png`));
  it('round robin, knockout and pointwise agree on a transitive judge', async () => {
    const rr = await runSelect({ model: server.url, prompt: 'p', images: images(), method: 'round-robin' });
    expect(rr.queries).toBe(20);
    expect(rr.wins![rr.best]).toBe(4);
    const ko = await runSelect({ model: server.url, prompt: 'p', images: images(), method: 'knockout' });
    expect(ko.best).toBe(rr.best);
    const pw = await runSelect({ model: server.url, prompt: 'p', images: images(), method: 'pointwise' });
    expect(pw.rewards).toHaveLength(5);
    expect(pw.best).toBe(rr.best);
    expect(pw.bestFile).toBe(images()[pw.best]);
  });
  it('checks the method', async () => {
    await expect(runSelect({ model: server.url, prompt: 'p', images: images(), method: 'swiss' })).rejects.toThrow(/--method must be one of pointwise, round-robin, knockout/);
    await expect(runSelect({ model: server.url, prompt: 'p', images: images(), method: 'knockout', reference: file('c0.png') })).rejects.toThrow(/--reference is for --method pointwise/);
  });
});

describe('score command: server-side failures name the file', () => {
  it('reports a server without logprobs per file', async () => {
    const bad = await startReplayServer({ respond: (_b, n) => (n % 2 === 1 ? { body: { choices: [{ index: 0, message: { role: 'assistant', content: 'Yes' }, logprobs: null }] } } : syntheticJudge()(_b)) });
    try {
      const r = await runScore({ model: `${bad.url}?concurrency=1`, prompt: 'p', image: [file('c0.png'), file('c1.png')], keepGoing: true });
      expect(r.failed).toBe(1);
      expect('error' in r.rows[1]! ? r.rows[1].error : '').toMatch(/c1\.png: .*without logprobs/);
      await expect(runScore({ model: `${bad.url}?concurrency=1`, prompt: 'p', image: [file('c0.png'), file('c1.png')] })).rejects.toThrow(/^[^ ]*c1\.png: .*without logprobs/);
    } finally {
      await bad.close();
    }
  });
});
