/**
 * A loopback HTTP server that answers OpenAI-compatible chat-completions requests the way
 * vLLM does, for tests and benchmarks of the remote reward client: it replays scripted
 * responses (fixture bodies, error statuses, hangs, dropped connections) and otherwise asks
 * a responder, e.g. `syntheticJudge`, a deterministic stand-in VLM. Listens on 127.0.0.1 only.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sigmoid } from './logprobs.js';

/** One scripted answer. */
export interface ReplayStep {
  /** HTTP status (200 when absent). */
  readonly status?: number;
  /** A JSON body (serialised per request) ... */
  readonly body?: unknown;
  /** ... or raw bytes sent as they are (faster for benchmarks). */
  readonly raw?: string | Buffer;
  readonly headers?: Readonly<Record<string, string>>;
  /** Wait this long before answering. */
  readonly delayMs?: number;
  /** Never answer (the client must time out). */
  readonly hang?: boolean;
  /** Destroy the connection without an answer. */
  readonly reset?: boolean;
}

/** A received chat-completions request. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
}

export interface ReplayServerOptions {
  /** Answers for POST /v1/chat/completions, consumed in order. */
  readonly script?: readonly ReplayStep[];
  /** Answers requests once the script is used up (default: HTTP 500 'script exhausted'). */
  readonly respond?: (body: unknown, n: number) => ReplayStep;
  /** Ids listed by GET /v1/models. */
  readonly models?: readonly string[];
  /** Keep parsed request bodies in `requests` (off for benchmarks). Default true. */
  readonly record?: boolean;
}

export interface ReplayServer {
  /** API root, e.g. http://127.0.0.1:40123/v1 */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Chat-completion requests received so far (recorded or not). */
  count(): number;
  close(): Promise<void>;
}

/** The model id the replay server lists by default. */
export const REPLAY_MODEL = 'replay/vlm-judge';

/**
 * Starts a replay server on 127.0.0.1 with an ephemeral port.
 * @example const s = await startReplayServer({ script: [{ status: 429 }, { body: fixture }] }); ... await s.close();
 */
export async function startReplayServer(opts: ReplayServerOptions = {}): Promise<ReplayServer> {
  const script = [...(opts.script ?? [])];
  const requests: RecordedRequest[] = [];
  const record = opts.record ?? true;
  const hanging = new Set<ServerResponse>();
  let n = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0]!;
      if (req.method === 'GET' && path.endsWith('/models')) {
        return send(res, { body: { object: 'list', data: (opts.models ?? [REPLAY_MODEL]).map((id) => ({ id, object: 'model', created: 0, owned_by: 'vllm' })) } });
      }
      if (req.method !== 'POST' || !path.endsWith('/chat/completions')) return send(res, { status: 404, body: { error: { message: `no route ${req.method} ${path}`, type: 'NotFoundError', param: null, code: 404 } } });
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
      } catch {
        return send(res, { status: 400, body: { error: { message: 'body is not JSON', type: 'BadRequestError', param: null, code: 400 } } });
      }
      if (record) requests.push({ method: req.method, path, headers: req.headers, body });
      const k = n++;
      const step = script.shift() ?? opts.respond?.(body, k) ?? { status: 500, body: { error: { message: 'replay script exhausted', type: 'InternalServerError', param: null, code: 500 } } };
      if (step.hang) {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      if (step.reset) return req.socket.destroy();
      if (step.delayMs) setTimeout(() => send(res, step), step.delayMs);
      else send(res, step);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    count: () => n,
    close: () =>
      new Promise<void>((resolve) => {
        for (const r of hanging) r.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: ServerResponse, step: ReplayStep): void {
  if (res.destroyed) return;
  const payload = step.raw ?? JSON.stringify(step.body ?? {});
  res.writeHead(step.status ?? 200, { 'content-type': 'application/json', ...step.headers });
  res.end(payload);
}

/** A token and its log-probability as vLLM lists it (`bytes` are the token's UTF-8 bytes). */
function lp(token: string, logprob: number): { token: string; logprob: number; bytes: number[] } {
  return { token, logprob, bytes: [...Buffer.from(token, 'utf8')] };
}

/** One generated position: the sampled token and its alternatives. */
export interface SyntheticStep {
  readonly token: string;
  readonly logprob: number;
  readonly top: readonly (readonly [string, number])[];
}

/**
 * A chat.completion body shaped as vLLM's OpenAI-compatible server returns it (fields of
 * ChatCompletionResponse, ChatCompletionLogProbsContent; see test/fixtures/vllm/README.md).
 * @example vllmChatCompletion('m', [{ token: 'Yes', logprob: -0.1, top: [['Yes', -0.1], ['No', -2.4]] }])
 */
export function vllmChatCompletion(model: string, steps: readonly SyntheticStep[], created = 1_736_000_000): Record<string, unknown> {
  const text = steps.map((s) => s.token).join('');
  return {
    id: `chatcmpl-replay-${created}`,
    object: 'chat.completion',
    created,
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: text, refusal: null, annotations: null, audio: null, function_call: null, tool_calls: [], reasoning_content: null },
        logprobs: { content: steps.map((s) => ({ ...lp(s.token, s.logprob), top_logprobs: s.top.map(([t, l]) => lp(t, l)) })) },
        finish_reason: 'length',
        stop_reason: null,
      },
    ],
    service_tier: null,
    system_fingerprint: null,
    usage: { prompt_tokens: 1024, total_tokens: 1024 + steps.length, completion_tokens: steps.length, prompt_tokens_details: null },
    prompt_logprobs: null,
    kv_transfer_params: null,
  };
}

/** FNV-1a over a string, as a number in [0, 1). */
function hashUnit(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h / 4294967296;
}

/** Spread of the synthetic judge's per-media scores: P(yes) spans about 0.02-0.98. */
const JUDGE_SCALE = 4;
/** How the judge splits yes/no mass across spellings ("Yes" / " yes"), like real tokenizers. */
const CAPITALISED_SHARE = 0.85;
/** Log-probability of the filler alternatives listed beside yes/no. */
const FILLER_LOGPROB = -9;

/**
 * A deterministic stand-in VLM for tests: each media (the images after the last
 * "Reference ...:" / "Candidate ...:" labels) gets a score from a hash of its data URLs;
 * pairwise P(yes) = sigmoid(score(candidate) - score(reference)), so swapping the two gives
 * exactly 1 - P; pointwise P(yes) = sigmoid(score(candidate)). Reason-first requests get a
 * rationale and "Answer: yes|no".
 * @example startReplayServer({ respond: syntheticJudge() })
 */
export function syntheticJudge(model = REPLAY_MODEL): (body: unknown) => ReplayStep {
  return (body) => {
    const req = body as { messages?: { content?: unknown }[]; max_tokens?: number };
    const parts = (req.messages?.[0]?.content ?? []) as { type: string; text?: string; image_url?: { url: string } }[];
    const urls: Record<'reference' | 'candidate', string> = { reference: '', candidate: '' };
    let role: 'reference' | 'candidate' | null = null;
    let reasonFirst = false;
    for (const p of parts) {
      if (p.type === 'text') {
        const t = p.text ?? '';
        const last = (t.split('\n').pop() ?? '').trim();
        role = /^Reference \w+:$/u.test(last) ? 'reference' : /^Candidate \w+:$/u.test(last) ? 'candidate' : null;
        if (role) urls[role] = '';
        if (/short reason first/u.test(t)) reasonFirst = true;
      } else if (p.type === 'image_url' && role) urls[role] += p.image_url?.url ?? '';
    }
    const score = (u: string): number => (u === '' ? 0 : (hashUnit(u) - 0.5) * JUDGE_SCALE);
    const p = sigmoid(score(urls.candidate) - score(urls.reference));
    const word = p >= 0.5 ? 'yes' : 'no';
    const top: [string, number][] = [
      ['Yes', Math.log(p * CAPITALISED_SHARE)],
      ['No', Math.log((1 - p) * CAPITALISED_SHARE)],
      [' yes', Math.log(p * (1 - CAPITALISED_SHARE) * 0.999)],
      [' no', Math.log((1 - p) * (1 - CAPITALISED_SHARE) * 0.999)],
      ['The', FILLER_LOGPROB],
    ];
    top.sort((a, b) => b[1] - a[1]);
    const answer: SyntheticStep = { token: top[0]![0], logprob: top[0]![1], top };
    if (!reasonFirst) return { body: vllmChatCompletion(model, [answer]) };
    const rationale = ['The', ' candidate', word === 'yes' ? ' fits' : ' misses', ' the', ' prompt', '.', '\n', 'Answer', ':'].map((t) => ({ token: t, logprob: -0.05, top: [[t, -0.05]] as [string, number][] }));
    const spaced = top.map(([t, l]): [string, number] => [t.startsWith(' ') ? t : ` ${t}`, l]);
    return { body: vllmChatCompletion(model, [...rationale, { token: spaced[0]![0], logprob: spaced[0]![1], top: spaced }]) };
  };
}
