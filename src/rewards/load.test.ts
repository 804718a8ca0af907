import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRewardModel } from './load.js';
import { RemoteRewardModel } from './remote.js';

describe('loadRewardModel', () => {
  it('makes a remote model from a URL, the URL mode winning over options', async () => {
    const m = await loadRewardModel('http://127.0.0.1:8000/v1?model=x', { mode: 'pointwise' });
    expect(m).toBeInstanceOf(RemoteRewardModel);
    expect(m.mode).toBe('pointwise');
    expect((await loadRewardModel('http://127.0.0.1:8000/v1?mode=pairwise', { mode: 'pointwise' })).mode).toBe('pairwise');
  });
  it('explains unknown specs, files and unbuilt checkpoints', async () => {
    await expect(loadRewardModel('no-such-model')).rejects.toThrow(/unknown reward model 'no-such-model': expected a checkpoint folder, 'oracle', or an http\(s\):\/\/ URL/);
    const dir = mkdtempSync(join(tmpdir(), 'rd-load-'));
    writeFileSync(join(dir, 'f.txt'), 'x');
    await expect(loadRewardModel(join(dir, 'f.txt'))).rejects.toThrow(/is a folder/);
    await expect(loadRewardModel(dir)).rejects.toThrow(/checkpoint|config/);
  });
});
