/**
 * Serves the local tiny VLM through the OpenAI-compatible chat route: reads the RewardDance
 * prompt that rewarddance's remote client (and SFT exports) write — task, criteria, prompt,
 * then the images (condition, reference, candidate; several images per video) — turns it into
 * the tiny VLM's own question, and generates with log-probabilities. So
 * `rewarddance score --model http://127.0.0.1:PORT/v1?model=NAME` reaches a local checkpoint
 * exactly as it would reach a large VLM behind vLLM.
 */
import { imageMedia, videoMedia, type Media, type RgbImage } from '../data/image.js';
import { CRITERIA_DESCRIPTIONS } from '../data/export/template.js';
import { InputError } from '../errors.js';
import type { VlmQuestion } from '../models/vlm/prompting.js';
import type { ChatCompletion, ChatModel, ChatRequest } from '../serve/chat-model.js';
import type { LocalVlmRewardModel } from './generative.js';

const TASK_WORDS: Readonly<Record<string, string>> = { 'text-to-image': 't2i', 'text-to-video': 't2v', 'image-to-video': 'i2v' };

/** Parses the RewardDance chat prompt back into task, criteria and prompt. */
export function parseRewardPrompt(text: string): { task: string; criteria: string; prompt: string } {
  const gen = /judging ([a-z-]+) generation/.exec(text);
  const task = gen ? TASK_WORDS[gen[1]!] : 't2i';
  const prompt = /Prompt: (.*)/.exec(text)?.[1]?.trim();
  if (!prompt) throw new InputError('the chat message has no "Prompt: ..." line; send the RewardDance reward prompt (see docs/data.md)');
  const crit = /Criteria: (.*)\./.exec(text)?.[1]?.trim() ?? 'alignment';
  const names = Object.entries(CRITERIA_DESCRIPTIONS)
    .filter(([, d]) => crit.includes(d))
    .map(([n]) => n);
  return { task: task ?? 't2i', criteria: names[0] ?? 'alignment', prompt: prompt.toLowerCase() };
}

function splitMedia(images: readonly RgbImage[], count: number, video: boolean): Media[] {
  if (images.length % count !== 0 || images.length === 0) throw new InputError(`expected the images of ${count} media items, got ${images.length} image(s)`);
  const per = images.length / count;
  return Array.from({ length: count }, (_, i) => {
    const frames = images.slice(i * per, (i + 1) * per);
    return video ? videoMedia(frames) : imageMedia(frames[0]!);
  });
}

/**
 * A local VLM reward model as a ChatModel for `/v1/chat/completions`.
 * @example buildServer({ models: [{ id: rm.id, reward: rm, chat: new LocalVlmChatModel(rm) }] })
 */
export class LocalVlmChatModel implements ChatModel {
  readonly id: string;
  constructor(readonly rm: LocalVlmRewardModel) {
    this.id = rm.id;
  }

  private question(req: ChatRequest): VlmQuestion {
    const parts = req.messages.flatMap((m) => m.parts);
    const text = parts.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join('\n');
    const images = parts.flatMap((p) => (p.type === 'image' ? [p.image] : []));
    const { task, criteria, prompt } = parseRewardPrompt(text);
    const pairwise = this.rm.mode === 'pairwise';
    const video = task !== 't2i';
    const condition = task === 'i2v' ? images[0] : undefined;
    const rest = task === 'i2v' ? images.slice(1) : images;
    const media = splitMedia(rest, pairwise ? 2 : 1, video);
    return { task, prompt, criteria, reference: pairwise ? media[0] : undefined, candidate: media[pairwise ? 1 : 0]!, condition };
  }

  complete(requests: readonly ChatRequest[]): Promise<ChatCompletion[]> {
    const words = this.rm.scorer.tok.words;
    return Promise.resolve(
      requests.map((req) => {
        const g = this.rm.scorer.generate(this.question(req), Math.max(1, req.maxTokens), Math.max(1, req.topLogprobs));
        return {
          tokens: g.tokens.map((t) => ({ token: words[t.id]!, logprob: t.logprob, top: t.top.slice(0, Math.max(0, req.topLogprobs)).map((a) => ({ token: words[a.id]!, logprob: a.logprob })) })),
          finishReason: g.finishReason,
          promptTokens: g.promptTokens,
        };
      }),
    );
  }
}
