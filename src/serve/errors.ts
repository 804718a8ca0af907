/**
 * Every failure the server answers with, as OpenAI shapes it: `{error: {message, type, param,
 * code}}`. AppErrors keep their `status`; fastify's own errors (bad JSON, schema violations,
 * oversized bodies, wrong content type) keep theirs with a plain message; anything else is a
 * 500 whose details go to the log, not the client.
 */
import { AppError, HttpError } from '../errors.js';
import { DeadlineError, QueueFullError, ClosingError } from './batching.js';

/** An OpenAI-style error body. */
export interface ErrorBody {
  readonly error: { readonly message: string; readonly type: string; readonly param: string | null; readonly code: string | null };
}

/** What to answer for one error. */
export interface ErrorAnswer {
  readonly status: number;
  readonly body: ErrorBody;
  readonly headers: Record<string, string>;
}

/** The requested model is not served here (OpenAI answers 404 `model_not_found`). */
export class ModelNotFoundError extends HttpError {
  constructor(model: string, served: readonly string[]) {
    super(404, `The model '${model}' does not exist on this server; served models: ${served.join(', ') || '(none)'}`);
  }
}

/** The model exists but cannot do what the route needs (e.g. chat on a Bradley-Terry head). */
export class ModelCapabilityError extends HttpError {
  constructor(model: string, what: string) {
    super(400, `The model '${model}' does not support ${what}`);
  }
}

/**
 * The model cannot answer for a reason no query caused (its worker hung, or was given up after
 * repeated failures): every query of the batch fails with it, none is retried alone, and a
 * request holding such a query answers with this error as a whole.
 */
export class ModelUnavailableError extends HttpError {
  /** OpenAI-style `code` of the answer. */
  readonly code: string;
  /** Retry-After in seconds, when retrying soon can help. */
  readonly retryAfterS: number | undefined;
  constructor(status: number, code: string, message: string, retryAfterS?: number) {
    super(status, message);
    this.code = code;
    this.retryAfterS = retryAfterS;
  }
}

/** The model worker did not answer a batch within its deadline; it was terminated and restarts. */
export class WorkerHungError extends ModelUnavailableError {
  constructor(message: string) {
    super(504, 'model_worker_hung', message, 1);
  }
}

/** The model worker was given up (it kept crashing or hanging, or could not reload its model). */
export class WorkerDownError extends ModelUnavailableError {
  constructor(message: string) {
    super(503, 'model_unavailable', message);
  }
}

/** Retry-After in seconds for a server under load or shutting down. */
const BUSY_RETRY_AFTER_S = 1;

function typeFor(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

interface FastifyLikeError {
  statusCode?: unknown;
  code?: unknown;
  message?: unknown;
  validation?: unknown;
  validationContext?: unknown;
}

/** Fastify error codes we name in answers (stable across fastify 5 minor versions). */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_VALIDATION: 'invalid_request',
};

/**
 * Maps anything thrown in a route to a status, an OpenAI-shaped body and extra headers.
 *
 * @example
 * errorAnswer(new QueueFullError('full', 3)); // { status: 429, headers: { 'retry-after': '3' }, body: { error: { type: 'rate_limit_error', ... } } }
 */
export function errorAnswer(err: unknown): ErrorAnswer {
  const headers: Record<string, string> = {};
  const body = (status: number, message: string, code: string | null, param: string | null = null): ErrorAnswer => ({
    status,
    headers,
    body: { error: { message, type: typeFor(status), param, code } },
  });
  if (err instanceof QueueFullError) {
    headers['retry-after'] = String(err.retryAfterS);
    return body(429, err.message, 'rate_limit_exceeded');
  }
  if (err instanceof DeadlineError || err instanceof ClosingError) {
    headers['retry-after'] = String(BUSY_RETRY_AFTER_S);
    return body(503, err.message, err instanceof DeadlineError ? 'timeout' : 'shutting_down');
  }
  if (err instanceof ModelUnavailableError) {
    if (err.retryAfterS !== undefined) headers['retry-after'] = String(err.retryAfterS);
    return body(err.status, err.message, err.code);
  }
  if (err instanceof ModelNotFoundError) return body(404, err.message, 'model_not_found', 'model');
  if (err instanceof AppError) return body(err.status, err.message, err.status === 401 ? 'invalid_api_key' : null);
  if (err instanceof SyntaxError) return body(400, `request body is not valid JSON: ${err.message}`, 'invalid_json');
  const fe = (typeof err === 'object' && err !== null ? err : {}) as FastifyLikeError;
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  const code = typeof fe.code === 'string' ? (FASTIFY_CODES[fe.code] ?? null) : null;
  if (status >= 400 && status < 500) {
    let message = typeof fe.message === 'string' ? fe.message : 'bad request';
    if (fe.validation !== undefined) message = `invalid request ${typeof fe.validationContext === 'string' ? fe.validationContext : 'body'}: ${message}`;
    if (code === 'invalid_json') message = `request body is not valid JSON: ${message}`;
    return body(status, message, code);
  }
  return body(500, 'internal server error (see the server log)', null);
}
