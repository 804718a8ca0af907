/**
 * The reward server: a fastify app over a set of served models. `buildServer` wires limits,
 * bearer auth, metrics, OpenAI-shaped errors and the routes (`/v1/rewards`, `/v1/select`,
 * `/v1/chat/completions`, `/v1/models`, `/healthz`, `/metrics`); `close()` stops accepting
 * connections, lets in-flight requests finish, drains the batchers and closes the models.
 * `/healthz` answers 200 `{status: "ok"}` while every model is up, and 503 `{status:
 * "unavailable", reason, modelStates}` while a model worker restarts or is down (or the
 * server is shutting down).
 */
import { createServer, type Server } from 'node:http';
import Fastify, { type FastifyServerFactoryHandler } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { bearerChecker } from './auth.js';
import type { BatcherOptions } from './batching.js';
import { errorAnswer } from './errors.js';
import { DEFAULT_MEDIA_LIMITS, type MediaLimits } from './media.js';
import { ServerMetrics } from './metrics.js';
import { registerOpenAiRoutes } from './openai-compat.js';
import { ModelRegistry, type ServedModel } from './registry.js';
import { registerRewardRoutes } from './rewards-routes.js';
import type { ServeApp } from './schemas.js';

/** Largest request body: 32 MiB holds a batch of 32 videos of 16 frames of 256x256 PNGs. */
export const DEFAULT_BODY_LIMIT_BYTES = 32 * 1024 * 1024;
/** Longest time to receive a whole request (headers and body); slow-loris bodies get 408. */
export const DEFAULT_BODY_TIMEOUT_MS = 30_000;
/** Idle keep-alive connections close after this long (above common client pools' 4-5 s). */
const KEEP_ALIVE_TIMEOUT_MS = 10_000;
/** How often node checks request deadlines, at most (node's default is 30 s, too coarse). */
const MAX_DEADLINE_CHECK_MS = 1_000;
/** Routes reachable without a token (load balancers probe health without credentials). */
const OPEN_ROUTES = new Set(['/healthz']);

/** Everything the server is built from. */
export interface ServerOptions {
  /** Served models; the first is the default when a request names none. */
  readonly models: readonly ServedModel[];
  readonly batching?: Partial<BatcherOptions>;
  /** Bearer token; unset: no authentication. */
  readonly token?: string;
  readonly bodyLimitBytes?: number;
  readonly bodyTimeoutMs?: number;
  readonly media?: Partial<MediaLimits>;
  /** Log requests as JSON lines to stdout (fastify's pino logger). */
  readonly logger?: boolean;
}

/** A built server: the fastify app plus what tests and the CLI inspect. */
export interface RewardServer {
  readonly app: ServeApp;
  readonly registry: ModelRegistry;
  readonly metrics: ServerMetrics;
  /** Listens (default 127.0.0.1, port 0 = any free port) and returns the base URL. */
  listen(port?: number, host?: string): Promise<string>;
  /** Graceful shutdown: refuse new work, finish in-flight requests, drain, close models. */
  close(): Promise<void>;
}

/**
 * Builds the reward server.
 *
 * @example
 * const server = await buildServer({ models: [{ id: 'rm-small', reward: model }], batching: { maxBatch: 32, maxWaitMs: 5 } });
 * const url = await server.listen(8000); // 'http://127.0.0.1:8000'
 * // ... later
 * await server.close();
 */
export async function buildServer(opts: ServerOptions): Promise<RewardServer> {
  const limits: MediaLimits = { ...DEFAULT_MEDIA_LIMITS, ...opts.media };
  const bodyTimeoutMs = opts.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS;
  const metrics = new ServerMetrics();
  const registry = new ModelRegistry(opts.models, opts.batching ?? {}, metrics);
  const checkAuth = bearerChecker(opts.token);

  const serverFactory = (handler: FastifyServerFactoryHandler): Server =>
    createServer(
      {
        requestTimeout: bodyTimeoutMs,
        headersTimeout: bodyTimeoutMs,
        keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
        connectionsCheckingInterval: Math.max(1, Math.min(MAX_DEADLINE_CHECK_MS, Math.floor(bodyTimeoutMs / 4))),
      },
      handler,
    );

  const app: ServeApp = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: opts.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    serverFactory,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Wrong types are errors, not silently coerced ("1" stays a string and fails a number field).
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onRequest', (request, _reply, done) => {
    try {
      if (!OPEN_ROUTES.has(request.url.split('?')[0]!)) checkAuth(request.headers.authorization);
      done();
    } catch (err) {
      done(err as Error);
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.observeRequest(request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });
  app.setErrorHandler(async (err, request, reply) => {
    const a = errorAnswer(err);
    if (a.status >= 500 && a.status !== 503) request.log.error({ err }, 'request failed');
    return reply.code(a.status).headers(a.headers).send(a.body);
  });
  app.setNotFoundHandler(async (request, reply) =>
    reply.code(404).send({ error: { message: `no route ${request.method} ${request.url.split('?')[0]}; see GET /v1/models, POST /v1/rewards, /v1/select, /v1/chat/completions`, type: 'invalid_request_error', param: null, code: 'not_found' } }),
  );

  app.get('/healthz', async (_request, reply) => {
    const states = registry.health();
    const notUp = states.filter((m) => m.state !== 'up');
    const body = {
      status: notUp.length === 0 ? ('ok' as const) : ('unavailable' as const),
      ...(notUp.length > 0 ? { reason: notUp.map((m) => `model '${m.model}' is ${m.state}${m.reason ? `: ${m.reason}` : ''}`).join('; ') } : {}),
      models: registry.ids(),
      modelStates: states,
      queueDepth: registry.queueDepth(),
    };
    // Not ready while any served model cannot answer: a load balancer sends its traffic elsewhere.
    return reply.code(notUp.length === 0 ? 200 : 503).send(body);
  });
  app.get('/metrics', async (_request, reply) => reply.type('text/plain; version=0.0.4; charset=utf-8').send(metrics.render()));
  registerRewardRoutes(app, registry, limits);
  registerOpenAiRoutes(app, registry, limits);

  let closing: Promise<void> | undefined;
  // Answers finished during shutdown close their connection, so close() does not wait for
  // clients' keep-alive timeouts.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('onClose', async () => {
    await registry.drainAndClose();
  });
  await app.ready();

  return {
    app,
    registry,
    metrics,
    async listen(port = 0, host = '127.0.0.1') {
      await app.listen({ port, host });
      const addr = app.server.address();
      if (addr === null || typeof addr === 'string') return String(addr);
      const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      return `http://${h}:${addr.port}`;
    },
    close() {
      closing ??= app.close();
      return closing;
    },
  };
}
