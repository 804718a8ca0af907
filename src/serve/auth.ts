/**
 * Optional bearer-token access: `Authorization: Bearer <token>` compared in constant time
 * (both sides hashed to equal-length digests first, so neither content nor length leaks
 * through timing).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { HttpError } from '../errors.js';

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/**
 * Builds a checker for an `Authorization` header; with no token configured every request passes.
 *
 * @example
 * const check = bearerChecker('s3cret');
 * check('Bearer s3cret'); // ok
 * check('Bearer nope');   // throws HttpError 401
 */
export function bearerChecker(token: string | undefined): (header: string | undefined) => void {
  if (token === undefined || token === '') return () => undefined;
  const want = digest(token);
  return (header) => {
    const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
    const got = digest(m ? m[1]!.trim() : '');
    // Compare even when the header is missing, so both paths take the same time.
    const ok = timingSafeEqual(got, want) && m !== null;
    if (!ok) {
      throw new HttpError(401, header ? 'invalid bearer token in the Authorization header' : 'missing Authorization header; send "Authorization: Bearer <token>" (the server was started with --token)');
    }
  };
}
