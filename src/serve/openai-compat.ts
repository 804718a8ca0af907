/**
 * `POST /v1/chat/completions`, shaped like OpenAI's and vLLM's: messages whose content is a
 * string or a list of `text` and `image_url` parts (images only as base64 data URLs; the
 * server never fetches URLs), `max_tokens` / `max_completion_tokens`, `temperature`, `seed`,
 * `logprobs` and `top_logprobs`. The answer carries `choices[0].logprobs.content[i].top_logprobs`,
 * which is what rewarddance's remote backend reads P(yes) from. `GET /v1/models` lists ids.
 */
import { randomUUID } from 'node:crypto';
import { Type, type Static } from 'typebox';
import { InputError } from '../errors.js';
import type { Media } from '../data/image.js';
import type { ChatCompletion, ChatMessage, ChatPart, ChatRequest, TokenLogprob } from './chat-model.js';
import { decodeMediaBatch, type MediaLimits } from './media.js';
import type { ModelRegistry } from './registry.js';
import { clientGone } from './rewards-routes.js';
import type { ServeApp } from './schemas.js';

/** OpenAI's cap on `top_logprobs`. */
export const MAX_TOP_LOGPROBS = 20;
/** Tokens generated when the request names no limit (a reward answer is one or a few tokens). */
export const DEFAULT_MAX_TOKENS = 16;
/** Most tokens one request may ask for. */
export const MAX_COMPLETION_TOKENS = 1024;
/** Most messages in one chat. */
const MAX_MESSAGES = 256;

const TextPart = Type.Object({ type: Type.Literal('text'), text: Type.String() });
const ImagePart = Type.Object({
  type: Type.Literal('image_url'),
  image_url: Type.Object({ url: Type.String({ minLength: 1 }), detail: Type.Optional(Type.String()) }),
});
const Message = Type.Object({
  role: Type.Union([Type.Literal('system'), Type.Literal('developer'), Type.Literal('user'), Type.Literal('assistant')]),
  content: Type.Union([Type.String(), Type.Array(Type.Union([TextPart, ImagePart]))]),
  name: Type.Optional(Type.String()),
});

/** The request body (unknown extra fields are accepted and ignored, as vLLM does). */
export const ChatBodySchema = Type.Object({
  model: Type.String({ minLength: 1 }),
  messages: Type.Array(Message, { minItems: 1, maxItems: MAX_MESSAGES }),
  max_tokens: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: MAX_COMPLETION_TOKENS }), Type.Null()])),
  max_completion_tokens: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: MAX_COMPLETION_TOKENS }), Type.Null()])),
  temperature: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 2 }), Type.Null()])),
  seed: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
  logprobs: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  top_logprobs: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: MAX_TOP_LOGPROBS }), Type.Null()])),
  n: Type.Optional(Type.Union([Type.Literal(1), Type.Null()])),
  stream: Type.Optional(Type.Union([Type.Literal(false), Type.Null()])),
});
export type ChatBody = Static<typeof ChatBodySchema>;

/** An OpenAI `logprobs.content` entry. */
export interface LogprobEntry {
  token: string;
  logprob: number;
  bytes: number[];
  top_logprobs: { token: string; logprob: number; bytes: number[] }[];
}

const utf8 = (s: string): number[] => [...Buffer.from(s, 'utf8')];

/** OpenAI reports -9999 for a log-probability that underflowed to -Infinity. */
const LOGPROB_FLOOR = -9999;
const finite = (x: number): number => (Number.isFinite(x) ? x : LOGPROB_FLOOR);

function entry(t: TokenLogprob): { token: string; logprob: number; bytes: number[] } {
  return { token: t.token, logprob: finite(t.logprob), bytes: utf8(t.token) };
}

/**
 * Shapes a completion as an OpenAI `chat.completion` object.
 *
 * @example
 * toOpenAiCompletion('rm-small', c, true); // { object: 'chat.completion', choices: [{ logprobs: { content: [...] } }], ... }
 */
export function toOpenAiCompletion(model: string, c: ChatCompletion, withLogprobs: boolean) {
  const content: LogprobEntry[] = c.tokens.map((t) => ({ ...entry(t), top_logprobs: t.top.map(entry) }));
  return {
    id: `chatcmpl-${randomUUID().replace(/-/g, '')}`,
    object: 'chat.completion' as const,
    created: Math.floor(Date.now() / 1000),
    model,
    system_fingerprint: null,
    choices: [
      {
        index: 0,
        message: { role: 'assistant' as const, content: c.tokens.map((t) => t.token).join(''), refusal: null },
        logprobs: withLogprobs ? { content, refusal: null } : null,
        finish_reason: c.finishReason,
      },
    ],
    usage: { prompt_tokens: c.promptTokens, completion_tokens: c.tokens.length, total_tokens: c.promptTokens + c.tokens.length },
  };
}

/** Parses OpenAI messages into ChatMessages, decoding data-URL images under the media limits. */
export async function parseMessages(body: ChatBody, limits: MediaLimits): Promise<ChatMessage[]> {
  const images: { value: string; source: string }[] = [];
  body.messages.forEach((m, i) => {
    if (typeof m.content === 'string') return;
    m.content.forEach((p, j) => {
      if (p.type !== 'image_url') return;
      const source = `messages[${i}].content[${j}].image_url.url`;
      if (!p.image_url.url.startsWith('data:')) {
        throw new InputError(`${source}: only base64 data URLs are accepted (data:image/png;base64,...); this server does not fetch remote images`);
      }
      images.push({ value: p.image_url.url, source });
    });
  });
  const decoded = await decodeMediaBatch(images, limits);
  const bad = decoded.find((d): d is InputError => d instanceof InputError);
  if (bad) throw bad;
  let k = 0;
  return body.messages.map((m) => {
    const role = m.role === 'developer' ? 'system' : m.role;
    if (typeof m.content === 'string') return { role, parts: [{ type: 'text', text: m.content }] };
    const parts: ChatPart[] = m.content.map((p) => (p.type === 'text' ? { type: 'text', text: p.text } : { type: 'image', image: ((decoded[k++] as Media) as Extract<Media, { kind: 'image' }>).image }));
    return { role, parts };
  });
}

/**
 * Registers `POST /v1/chat/completions`, `GET /v1/models` and `GET /v1/models/:id`.
 *
 * @example
 * registerOpenAiRoutes(app, registry, DEFAULT_MEDIA_LIMITS);
 */
export function registerOpenAiRoutes(app: ServeApp, registry: ModelRegistry, limits: MediaLimits): void {
  const created = Math.floor(Date.now() / 1000);
  const card = (id: string) => ({ id, object: 'model' as const, created, owned_by: 'rewarddance' });

  app.get('/v1/models', () => ({ object: 'list' as const, data: registry.ids().map(card) }));
  app.get('/v1/models/:id', { schema: { params: Type.Object({ id: Type.String() }) } }, (request) => card(registry.get(request.params.id).id));

  app.post('/v1/chat/completions', { schema: { body: ChatBodySchema } }, async (request, reply) => {
    const signal = clientGone(reply);
    const b = request.body;
    const host = registry.chatOf(b.model);
    const withLogprobs = b.logprobs === true;
    if (!withLogprobs && (b.top_logprobs ?? 0) > 0) throw new InputError('top_logprobs needs logprobs: true (as in OpenAI\'s API)');
    const req: ChatRequest = {
      messages: await parseMessages(b, limits),
      maxTokens: b.max_completion_tokens ?? b.max_tokens ?? DEFAULT_MAX_TOKENS,
      topLogprobs: withLogprobs ? (b.top_logprobs ?? 0) : 0,
      temperature: b.temperature ?? 1,
      ...(b.seed !== undefined && b.seed !== null ? { seed: b.seed } : {}),
    };
    const completion = await host.chatBatcher.submit(req, signal);
    return toOpenAiCompletion(host.id, completion, withLogprobs);
  });
}
