/**
 * Deterministic memory release. Node's GC does not see libtorch memory, so every step runs
 * inside `tidy`, which disposes the tensors created inside it except those it returns (like
 * tf.tidy). Tensors created outside any scope (parameters, optimizer state) live until
 * `dispose()`.
 */

/** Anything the scope can track and release. */
export interface Disposable {
  dispose(): void;
  readonly disposed: boolean;
}

const stack: Disposable[][] = [];

/** Registers a new tensor with the innermost scope (no-op outside scopes). */
export function track<T extends Disposable>(t: T): T {
  const top = stack[stack.length - 1];
  if (top) top.push(t);
  return t;
}

/** Removes `t` from every open scope so that it outlives them (parameters, caches). */
export function keep<T extends Disposable>(t: T): T {
  for (const s of stack) {
    const i = s.lastIndexOf(t);
    if (i >= 0) s.splice(i, 1);
  }
  return t;
}

function collect(value: unknown, out: Set<Disposable>, depth = 0): void {
  if (value === null || value === undefined || depth > 4) return;
  if (typeof value !== 'object') return;
  if ('dispose' in value && 'disposed' in value) {
    out.add(value as Disposable);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, out, depth + 1);
    return;
  }
  if (value instanceof Map) {
    for (const v of value.values()) collect(v, out, depth + 1);
    return;
  }
  if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, out, depth + 1);
  }
}

/**
 * Runs `fn` and disposes every tensor it created, except those reachable from its result
 * (a tensor, or arrays / plain objects / Maps of them), which move to the enclosing scope.
 * `fn` must be synchronous.
 * @example const loss = tidy(() => model.loss(batch)); // intermediates are freed
 */
export function tidy<R>(fn: () => R): R {
  const scope: Disposable[] = [];
  stack.push(scope);
  let result: R;
  try {
    result = fn();
  } catch (err) {
    stack.pop();
    for (const t of scope) t.dispose();
    throw err;
  }
  stack.pop();
  if (result instanceof Promise) {
    for (const t of scope) t.dispose();
    throw new Error('tidy() takes a synchronous function; await outside of it and tidy each synchronous step');
  }
  const kept = new Set<Disposable>();
  collect(result, kept);
  const parent = stack[stack.length - 1];
  for (const t of scope) {
    if (kept.has(t)) {
      if (parent) parent.push(t);
    } else {
      t.dispose();
    }
  }
  return result;
}

/** Number of open scopes (for tests and leak checks). */
export function scopeDepth(): number {
  return stack.length;
}
