/**
 * What `POST /v1/chat/completions` needs from a model: generate tokens for a batch of chats,
 * reporting each token's log-probability and the top alternatives. The local generative VLMs
 * implement it; the server parses OpenAI messages (text and data-URL image parts) into the
 * plain structures below, decodes images, and batches concurrent chats into one call.
 */
import type { RgbImage } from '../data/image.js';

/** One part of a message: text, or a decoded image (from an `image_url` data URL). */
export type ChatPart = { readonly type: 'text'; readonly text: string } | { readonly type: 'image'; readonly image: RgbImage };

/** One chat message, in order. `content` strings become a single text part. */
export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly parts: readonly ChatPart[];
}

/** One chat to continue. */
export interface ChatRequest {
  readonly messages: readonly ChatMessage[];
  /** Most tokens to generate (>= 1). */
  readonly maxTokens: number;
  /** How many alternatives to report per generated token (0-20; 0: none). */
  readonly topLogprobs: number;
  /** 0 is greedy; higher samples from softmax(logits / temperature). */
  readonly temperature: number;
  /** Sampling seed when temperature > 0 (OpenAI's `seed`). */
  readonly seed?: number;
}

/** A log-probability (natural log) of one token. */
export interface TokenLogprob {
  /** The token's text as the tokenizer spells it (e.g. "yes", " Yes"). */
  readonly token: string;
  readonly logprob: number;
}

/** One generated token with its alternatives, most probable first (`top.length <= topLogprobs`). */
export interface GeneratedToken extends TokenLogprob {
  readonly top: readonly TokenLogprob[];
}

/** The continuation of one chat. */
export interface ChatCompletion {
  readonly tokens: readonly GeneratedToken[];
  /** 'stop': an end token was generated (not included in `tokens`); 'length': maxTokens reached. */
  readonly finishReason: 'stop' | 'length';
  /** Tokens in the prompt, image tokens included (for `usage`). */
  readonly promptTokens: number;
}

/**
 * A model that continues chats. `complete` gets a batch (the server groups concurrent
 * requests) and returns one completion per request, in order.
 *
 * @example
 * const [c] = await model.complete([{ messages: [{ role: 'user', parts: [{ type: 'text', text: 'Is the sky blue?' }] }], maxTokens: 1, topLogprobs: 5, temperature: 0 }]);
 * c.tokens[0].top; // [{ token: 'yes', logprob: -0.1 }, { token: 'no', logprob: -2.4 }, ...]
 */
export interface ChatModel {
  /** The id clients send as `model` (a checkpoint folder's name). */
  readonly id: string;
  complete(requests: readonly ChatRequest[]): Promise<ChatCompletion[]>;
  close?(): Promise<void> | void;
}

/**
 * True for objects that also implement ChatModel (a local generative VLM serves both rewards
 * and chat completions from one set of weights).
 *
 * @example
 * const served = { id, reward: model, ...(isChatModel(model) ? { chat: model } : {}) };
 */
export function isChatModel(x: unknown): x is ChatModel {
  return typeof x === 'object' && x !== null && typeof (x as { complete?: unknown }).complete === 'function' && typeof (x as { id?: unknown }).id === 'string';
}
