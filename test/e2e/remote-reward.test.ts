/**
 * End to end: the remote reward client (src/rewards/remote.ts) against rewarddance's own
 * OpenAI-compatible server over a real loopback socket, with the server's chat test double
 * behind /v1/chat/completions. Runs the shared RewardModel contract suite through both.
 */
import { describe, expect, it } from 'vitest';
import { blankImage, imageMedia } from '../../src/data/image.js';
import { rewardModelContract } from '../../src/rewards/contract.js';
import { createRemoteRewardModel } from '../../src/rewards/remote.js';
import { buildServer, type RewardServer } from '../../src/serve/app.js';
import { TestChatModel } from '../../src/serve/test-models.js';

async function start(): Promise<{ server: RewardServer; url: string }> {
  const server = await buildServer({ models: [{ id: 'rm-chat', chat: new TestChatModel() }], batching: { maxBatch: 8, maxWaitMs: 2 } });
  const url = await server.listen(0, '127.0.0.1');
  return { server, url };
}

for (const mode of ['pairwise', 'pointwise'] as const) {
  let server: RewardServer | undefined;
  rewardModelContract({
    name: `remote client -> rewarddance serve (${mode})`,
    create: async () => {
      const s = await start();
      server = s.server;
      const m = createRemoteRewardModel(`${s.url}/v1`, { mode, maxRetries: 0 });
      return {
        id: m.id,
        mode: m.mode,
        score: (q) => m.score(q),
        close: async () => {
          m.close();
          await server!.close();
        },
      };
    },
  });
}

describe('remote client -> rewarddance serve', () => {
  it('reads the served model id and the P(yes) the double computes', async () => {
    const { server, url } = await start();
    try {
      const m = createRemoteRewardModel(`${url}/v1`, { mode: 'pointwise' });
      expect(await m.servedModel()).toBe('rm-chat');
      const white = imageMedia(blankImage(4, 4, [255, 255, 255]));
      const [r] = await m.score([{ task: 't2i', prompt: 'a white square', candidate: white }]);
      // The double: P(yes)=sigmoid(4 (1 - 0.5)) * 0.9 on "yes", 0.05 on "Yes"; P(no) = 0.9 - that on "no", 0.05 on "No".
      const pYes = 0.9 / (1 + Math.exp(-2));
      expect(r!.reward).toBeCloseTo(pYes + 0.05, 6); // yes + no spellings hold all the mass
      expect(r!.pYesVocab).toBeCloseTo(pYes + 0.05, 6);
      m.close();
    } finally {
      await server.close();
    }
  });
});
