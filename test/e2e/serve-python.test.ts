/**
 * The Python snippet in docs/serve.md, run with /usr/bin/python3 (standard library only)
 * against the reward server on 127.0.0.1 with a test-double model and a bearer token.
 * Skipped when python3 is not installed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildServer } from '../../src/serve/app.js';
import { TestRewardModel } from '../../src/serve/test-models.js';

const PYTHON = '/usr/bin/python3';

/** The first ```python block of the doc. */
function snippet(): string {
  const md = readFileSync('docs/serve.md', 'utf8');
  const m = /```python\n([\s\S]*?)```/.exec(md);
  if (!m) throw new Error('docs/serve.md has no ```python block');
  return m[1]!;
}

describe.skipIf(!existsSync(PYTHON))('docs/serve.md Python snippet', () => {
  it('scores images through /v1/rewards with the standard library', async () => {
    const server = await buildServer({ models: [{ id: 'm', reward: new TestRewardModel() }], token: 'py-secret' });
    const url = await server.listen();
    const dir = mkdtempSync(join(tmpdir(), 'rd-serve-py-'));
    try {
      const file = join(dir, 'reward_fn.py');
      writeFileSync(file, snippet());
      // spawnSync would block the event loop the server runs on: run python asynchronously.
      const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const p = spawn(PYTHON, [file], { env: { ...process.env, REWARDDANCE_URL: url, REWARDDANCE_SERVER_TOKEN: 'py-secret' } });
        let stdout = '';
        let stderr = '';
        p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        p.on('exit', (code) => resolve({ code, stdout, stderr }));
      });
      expect(out.stderr).toBe('');
      expect(out.code).toBe(0);
      const rewards = JSON.parse(out.stdout) as number[];
      expect(rewards).toHaveLength(2);
      expect(rewards[0]!).toBeGreaterThan(rewards[1]!); // the test double rewards brightness
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await server.close();
    }
  });

  it('is valid Python (compiles)', () => {
    const r = spawnSync(PYTHON, ['-c', 'import ast, sys; ast.parse(sys.stdin.read())'], { input: snippet() });
    expect(r.status).toBe(0);
  });
});
