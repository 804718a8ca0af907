/**
 * A remote reward model behind an OpenAI-compatible chat-completions API (vLLM, SGLang,
 * OpenAI, rewarddance's own server). Each query becomes one request: the RewardDance
 * instruction from context.ts as text and image parts (PNG data URLs; a video's frames as
 * several images), `logprobs` and `top_logprobs`; the reward is P(yes) read from the answer
 * position by logprobs.ts. Requests run under a concurrency limit with retries and
 * exponential backoff on 429/5xx/timeouts; every failure names its query.
 */
import { PNG } from 'pngjs';
import { mediaFrames, type RgbImage } from '../data/image.js';
import { ConfigError, HttpError, InputError, errorMessage } from '../errors.js';
import { buildContext, type ContextPart } from './context.js';
import { HttpClient, RequestTimeoutError } from './http-client.js';
import { findAnswer, yesNoFromStep, type LogprobEntry, type LogprobStep } from './logprobs.js';
import { QueryError, unwrapOutcomes } from './settle.js';
import type { CotMode, RewardMode, RewardModel, RewardOutcome, RewardQuery, RewardResult } from './types.js';

/** Settings of a remote reward model. */
export interface RemoteRewardConfig {
  /** API root, e.g. `http://127.0.0.1:8000/v1` (requests go to `<baseUrl>/chat/completions`). */
  readonly baseUrl: string;
  /** Served model id; when absent the first id from `GET <baseUrl>/models` is used. */
  readonly model?: string;
  /** 'pairwise' prompts with the reference; 'pointwise' ignores it. */
  readonly mode: RewardMode;
  /** Bearer token; defaults to REWARDDANCE_API_KEY, then OPENAI_API_KEY. */
  readonly apiKey?: string;
  /** Requests in flight at once. */
  readonly maxConcurrency: number;
  /** Retries after the first attempt on 429, 5xx, timeouts and dropped connections. */
  readonly maxRetries: number;
  /** Per-attempt limit, milliseconds, including reading the body. */
  readonly timeoutMs: number;
  /** First backoff, doubled per retry (with jitter), capped at maxBackoffMs. */
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  /** Alternatives per position; 20 is the most OpenAI allows and vLLM's default --max-logprobs. */
  readonly topLogprobs: number;
  /** Generated-token cap; undefined picks DEFAULT_MAX_TOKENS for the query's CoT mode. */
  readonly maxTokens?: number;
  /** 0 = greedy, so rationales and hence rewards are repeatable. */
  readonly temperature: number;
  /** Sent as `seed` when set (servers that sample use it). */
  readonly seed?: number;
}

/** Environment variables read for the API key, in order. */
export const API_KEY_ENV = ['REWARDDANCE_API_KEY', 'OPENAI_API_KEY'] as const;

/**
 * Generated tokens per CoT mode: 'off' needs the answer word plus room for up to three
 * leading filler tokens; rationales are one or two sentences (about 60 tokens), so 160/256
 * leave room without letting a rambling model run long.
 */
export const DEFAULT_MAX_TOKENS: Readonly<Record<CotMode, number>> = { off: 4, 'decision-first': 160, 'reason-first': 256 };

export const DEFAULT_REMOTE_CONFIG: Omit<RemoteRewardConfig, 'baseUrl'> = {
  mode: 'pairwise',
  // 16 keeps a single vLLM replica's batch full without queueing hundreds of requests there.
  maxConcurrency: 16,
  maxRetries: 4,
  // VLM prefill of a few images is sub-second; reason-first generation can take tens of seconds.
  timeoutMs: 120_000,
  backoffMs: 250,
  maxBackoffMs: 8_000,
  topLogprobs: 20,
  temperature: 0,
};

/** Longest Retry-After honoured; longer asks are capped so a batch cannot stall for minutes. */
const MAX_RETRY_AFTER_MS = 30_000;
/** Characters of an error body quoted in messages. */
const BODY_EXCERPT_CHARS = 300;

/** A chat-completions content part. */
type ChatPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };

/** PNG data URLs per image object: a reference shared by many queries is encoded once. */
const dataUrlCache = new WeakMap<RgbImage, string>();

/**
 * PNG settings for data URLs: deflate level 1 with no row filter took a third of the CPU of
 * pngjs's default (level 9, adaptive filters) on 64x64 generated images, for files within a
 * few percent of the size; the encoding is lossless either way.
 */
const DATA_URL_PNG = { colorType: 2, inputColorType: 2, inputHasAlpha: false, deflateLevel: 1, filterType: 0 } as const;

/** An image as a `data:image/png;base64,...` URL (lossless; cached per image object). */
export function imageDataUrl(img: RgbImage): string {
  let url = dataUrlCache.get(img);
  if (url === undefined) {
    const png = new PNG({ width: img.width, height: img.height, ...DATA_URL_PNG });
    png.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
    url = `data:image/png;base64,${PNG.sync.write(png, DATA_URL_PNG).toString('base64')}`;
    dataUrlCache.set(img, url);
  }
  return url;
}

/** Context parts as chat content parts: text as text, every image/frame as an image part. */
export function toChatContent(parts: readonly ContextPart[]): ChatPart[] {
  return parts.flatMap((p): ChatPart[] =>
    p.kind === 'text' ? [{ type: 'text', text: p.text }] : mediaFrames(p.media).map((f) => ({ type: 'image_url', image_url: { url: imageDataUrl(f) } })),
  );
}

/**
 * Normalises a user-given URL to the API root: a bare host gets `/v1`, a trailing
 * `/chat/completions` or `/` is dropped, query parameters are removed (see parseRemoteSpec).
 * @example apiRoot('http://127.0.0.1:8000') // 'http://127.0.0.1:8000/v1'
 */
export function apiRoot(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InputError(`'${url}' is not a URL; expected e.g. http://127.0.0.1:8000/v1`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InputError(`'${url}': expected an http:// or https:// URL`);
  let path = u.pathname.replace(/\/+$/u, '').replace(/\/chat\/completions$/u, '');
  if (path === '') path = '/v1';
  return `${u.protocol}//${u.host}${path}`;
}

/**
 * Reads a model spec `http(s)://host[:port][/v1][?model=ID&mode=pointwise&concurrency=N&timeout=MS]`.
 * @example parseRemoteSpec('http://127.0.0.1:8000/v1?model=qwen2-vl&mode=pointwise')
 */
export function parseRemoteSpec(spec: string): Partial<RemoteRewardConfig> & { baseUrl: string } {
  const baseUrl = apiRoot(spec);
  const params = new URL(spec).searchParams;
  const out: { -readonly [K in keyof RemoteRewardConfig]?: RemoteRewardConfig[K] } & { baseUrl: string } = { baseUrl };
  for (const [k, v] of params) {
    if (k === 'model') out.model = v;
    else if (k === 'mode') {
      if (v !== 'pairwise' && v !== 'pointwise') throw new InputError(`${spec}: mode must be pairwise or pointwise, got '${v}'`);
      out.mode = v;
    } else if (k === 'concurrency') out.maxConcurrency = positiveInt(spec, k, v);
    else if (k === 'timeout') out.timeoutMs = positiveInt(spec, k, v);
    else if (k === 'retries') out.maxRetries = positiveInt(spec, k, v, 0);
    else if (k === 'top_logprobs') out.topLogprobs = positiveInt(spec, k, v);
    else throw new InputError(`${spec}: unknown parameter '${k}'; known: model, mode, concurrency, timeout, retries, top_logprobs`);
  }
  return out;
}

function positiveInt(spec: string, key: string, v: string, min = 1): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InputError(`${spec}: ${key} must be an integer >= ${min}, got '${v}'`);
  return n;
}

/** Checks a full config; ConfigError names the field. */
export function validateRemoteConfig(c: RemoteRewardConfig): RemoteRewardConfig {
  const ints: [keyof RemoteRewardConfig, number][] = [
    ['maxConcurrency', 1],
    ['maxRetries', 0],
    ['timeoutMs', 1],
    ['topLogprobs', 1],
  ];
  for (const [k, min] of ints) {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new ConfigError(`remote reward: ${k} must be an integer >= ${min}, got ${String(v)}`);
  }
  if (c.maxTokens !== undefined && (!Number.isInteger(c.maxTokens) || c.maxTokens < 1)) throw new ConfigError(`remote reward: maxTokens must be a positive integer, got ${c.maxTokens}`);
  if (!(c.backoffMs >= 0) || !(c.maxBackoffMs >= c.backoffMs)) throw new ConfigError('remote reward: need 0 <= backoffMs <= maxBackoffMs');
  return c;
}

/** A counting semaphore: at most `limit` holders at once, FIFO. */
class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/** Why an attempt failed, and whether another attempt may succeed. */
interface AttemptFailure {
  readonly retry: boolean;
  readonly error: HttpError;
  readonly retryAfterMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Backoff before retry `attempt` (1-based): base * 2^(attempt-1), jittered to 50-100%, capped. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, rand: () => number = Math.random): number {
  const full = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  return full * (0.5 + 0.5 * rand());
}

/** The parts of a chat-completions response this client reads. */
interface ChatResponse {
  choices?: { message?: { content?: string | null }; logprobs?: { content?: { token: string; logprob: number; top_logprobs?: LogprobEntry[] | null }[] | null } | null }[];
}

/**
 * Turns a chat-completions response body into a reward. Errors say what was missing and how
 * to fix the server side.
 * @example rewardFromResponse(JSON.parse(body), 'off', url)
 */
export function rewardFromResponse(body: unknown, cot: CotMode, where: string): Omit<RewardResult, 'ms'> {
  const choice = (body as ChatResponse | null)?.choices?.[0];
  if (!choice) throw new HttpError(502, `${where} answered without choices; expected an OpenAI chat.completion object`);
  const text = choice.message?.content ?? '';
  const content = choice.logprobs?.content;
  if (!content || content.length === 0) {
    throw new HttpError(
      502,
      `${where} answered text (${JSON.stringify(text.slice(0, 60))}) without logprobs; the reward needs token log-probabilities: ` +
        'serve with a backend that returns them for chat completions (vLLM: start with --max-logprobs 20 or more)',
    );
  }
  const steps: LogprobStep[] = content.map((c) => ({ token: c.token, logprob: c.logprob, top: c.top_logprobs ?? [] }));
  const at = findAnswer(steps, cot);
  if (at.index < 0) {
    throw new HttpError(502, `${where}: could not find the yes/no answer in the generated text ${JSON.stringify(text.slice(0, 120))} (CoT mode '${cot}'); the model did not follow the instruction`);
  }
  const step = steps[at.index]!;
  const yn = yesNoFromStep(step);
  if (!yn) {
    const listed = [step, ...step.top].map((e) => JSON.stringify(e.token)).slice(0, 8).join(', ');
    throw new HttpError(502, `${where}: no yes/no token among the ${step.top.length} top_logprobs at the answer position (saw ${listed}); ask for more top_logprobs or use a model that answers yes/no`);
  }
  const { reward, pYesVocab, logitYes, logitNo } = yn;
  return at.rationale === '' ? { reward, pYesVocab, logitYes, logitNo } : { reward, pYesVocab, logitYes, logitNo, rationale: at.rationale };
}

/**
 * A reward model served over an OpenAI-compatible API.
 * @example
 * const m = new RemoteRewardModel({ ...DEFAULT_REMOTE_CONFIG, baseUrl: 'http://127.0.0.1:8000/v1' });
 * const [r] = await m.score([{ task: 't2i', prompt: 'a red circle', candidate, reference }]);
 */
export class RemoteRewardModel implements RewardModel {
  readonly id: string;
  readonly mode: RewardMode;
  readonly config: RemoteRewardConfig;
  private readonly limiter: Limiter;
  private readonly http: HttpClient;
  private readonly apiKey: string | undefined;
  private modelId: Promise<string> | undefined;

  constructor(config: RemoteRewardConfig) {
    this.config = validateRemoteConfig(config);
    this.mode = config.mode;
    this.id = config.model ? `${config.baseUrl}#${config.model}` : config.baseUrl;
    this.limiter = new Limiter(config.maxConcurrency);
    this.http = new HttpClient(config.maxConcurrency);
    this.apiKey = config.apiKey ?? API_KEY_ENV.map((k) => process.env[k]).find((v) => v !== undefined && v !== '');
    if (config.model) this.modelId = Promise.resolve(config.model);
  }

  async score(queries: readonly RewardQuery[]): Promise<RewardResult[]> {
    return unwrapOutcomes(await this.scoreSettled(queries));
  }

  /** Closes pooled connections. */
  close(): void {
    this.http.close();
  }

  async scoreSettled(queries: readonly RewardQuery[]): Promise<RewardOutcome[]> {
    if (queries.length === 0) return [];
    const t0 = performance.now();
    const settled = await Promise.all(
      queries.map(async (q, i): Promise<{ ok: true; r: Omit<RewardResult, 'ms'> } | { ok: false; error: Error }> => {
        try {
          return { ok: true, r: await this.scoreOne(q) };
        } catch (err) {
          return { ok: false, error: new QueryError(i, err) };
        }
      }),
    );
    const ms = (performance.now() - t0) / queries.length;
    return settled.map((s) => (s.ok ? { ok: true, result: { ...s.r, ms } } : s));
  }

  /** The served model id (from the config, else discovered once from GET /models). */
  async servedModel(): Promise<string> {
    this.modelId ??= this.discoverModel();
    return this.modelId;
  }

  private async discoverModel(): Promise<string> {
    const url = `${this.config.baseUrl}/models`;
    try {
      const body = (await this.requestJson(url, undefined)) as { data?: { id?: unknown }[] } | null;
      const id = body?.data?.[0]?.id;
      if (typeof id !== 'string') throw new HttpError(502, `${url} lists no models; name one with ?model=ID in the model URL`);
      return id;
    } catch (err) {
      this.modelId = undefined;
      throw err;
    }
  }

  /** The request body for one query (exported through `requestBody` for tests and tools). */
  async requestBody(q: RewardQuery): Promise<Record<string, unknown>> {
    const cot = q.cot ?? 'off';
    const body: Record<string, unknown> = {
      model: await this.servedModel(),
      messages: [{ role: 'user', content: toChatContent(buildContext(q, this.mode)) }],
      max_tokens: this.config.maxTokens ?? DEFAULT_MAX_TOKENS[cot],
      temperature: this.config.temperature,
      logprobs: true,
      top_logprobs: this.config.topLogprobs,
    };
    if (this.config.seed !== undefined) body.seed = this.config.seed;
    return body;
  }

  private async scoreOne(q: RewardQuery): Promise<Omit<RewardResult, 'ms'>> {
    const body = JSON.stringify(await this.requestBody(q));
    const url = `${this.config.baseUrl}/chat/completions`;
    const json = await this.limiter.run(() => this.requestJson(url, body));
    return rewardFromResponse(json, q.cot ?? 'off', url);
  }

  /** GET (body undefined) or POST JSON with timeouts and retries; returns the parsed body. */
  private async requestJson(url: string, body: string | undefined): Promise<unknown> {
    const attempts = this.config.maxRetries + 1;
    let last: AttemptFailure | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (last) await sleep(last.retryAfterMs ?? backoffDelay(attempt - 1, this.config.backoffMs, this.config.maxBackoffMs));
      const r = await this.attempt(url, body);
      if (r.ok) return r.value;
      last = r.failure;
      if (!last.retry) throw last.error;
    }
    const e = last!.error;
    throw new HttpError(e.status, `${e.message} (gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}; check the server's health, or lower the concurrency)`, { cause: e });
  }

  private async attempt(url: string, body: string | undefined): Promise<{ ok: true; value: unknown } | { ok: false; failure: AttemptFailure }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    let res: { status: number; headers: Record<string, unknown>; text: string };
    try {
      res = await this.http.request(url, { ...(body === undefined ? {} : { body }), headers, timeoutMs: this.config.timeoutMs });
    } catch (err) {
      const error =
        err instanceof RequestTimeoutError
          ? new HttpError(504, `${url} did not answer within ${this.config.timeoutMs} ms; raise the timeout (?timeout=MS) or check the server`)
          : new HttpError(502, `${url} could not be reached (${errorMessage(err)}${causeCode(err)}); is the server running?`);
      return { ok: false, failure: { retry: true, error } };
    }
    const text = res.text;
    if (res.status < 200 || res.status >= 300) {
      const retry = res.status === 429 || res.status === 408 || res.status >= 500;
      const error = new HttpError(res.status, `${url} answered HTTP ${res.status}: ${errorExcerpt(text)}${res.status === 401 ? ` (set ${API_KEY_ENV.join(' or ')})` : ''}`);
      return { ok: false, failure: { retry, error, ...retryAfter(res.headers['retry-after']) } };
    }
    try {
      return { ok: true, value: JSON.parse(text) as unknown };
    } catch {
      return { ok: false, failure: { retry: false, error: new HttpError(502, `${url} answered non-JSON (${JSON.stringify(text.slice(0, 80))}); expected an OpenAI-compatible API root`) } };
    }
  }
}

/** The `code` of a network error (ECONNREFUSED, ECONNRESET), when it has one and the message lacks it. */
function causeCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && !errorMessage(err).includes(code) ? `: ${code}` : '';
}

/** The error message of an OpenAI/vLLM error body (`{error: {message}}` or `{message}`), else the raw text. */
function errorExcerpt(text: string): string {
  try {
    const j = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const m = typeof j.error === 'object' ? j.error?.message : (j.error ?? j.message);
    if (typeof m === 'string') return m.slice(0, BODY_EXCERPT_CHARS);
  } catch {
    // not JSON: quote the text itself
  }
  return JSON.stringify(text.slice(0, BODY_EXCERPT_CHARS));
}

/** Retry-After in milliseconds (seconds form), capped at MAX_RETRY_AFTER_MS. */
function retryAfter(v: unknown): { retryAfterMs?: number } {
  const s = typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(s) && s >= 0 ? { retryAfterMs: Math.min(MAX_RETRY_AFTER_MS, s * 1000) } : {};
}

/**
 * A remote reward model from a URL spec (see parseRemoteSpec). `options` fill in what the
 * URL does not say; parameters written in the URL take precedence.
 * @example const m = createRemoteRewardModel('http://127.0.0.1:8000/v1?model=qwen2-vl', { mode: 'pointwise' });
 */
export function createRemoteRewardModel(spec: string, options: Partial<RemoteRewardConfig> = {}): RemoteRewardModel {
  return new RemoteRewardModel({ ...DEFAULT_REMOTE_CONFIG, ...options, ...parseRemoteSpec(spec) });
}
