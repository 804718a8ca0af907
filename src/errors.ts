/**
 * One error family for the whole project. Each message says what was expected, what came,
 * and how to fix it; the CLI prints `error: <message>` and exits non-zero, the server maps
 * `status` to an HTTP code.
 */
export class AppError extends Error {
  /** HTTP status the server answers with when this error reaches a route. */
  readonly status: number = 500;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A configuration value or option is wrong (unknown key, bad range, bad preset name). */
export class ConfigError extends AppError {
  override readonly status = 400;
}

/** User input (a file, a flag, a request body) is malformed or unreadable. */
export class InputError extends AppError {
  override readonly status = 400;
}

/** Tensor shapes do not fit together; the message names both shapes. */
export class ShapeError extends AppError {
  override readonly status = 400;
}

/** A checkpoint is missing, corrupt, truncated or does not fit the model; names the file. */
export class CheckpointError extends AppError {
  override readonly status = 500;
}

/** An HTTP call failed or an HTTP request must be refused with `status`. */
export class HttpError extends AppError {
  override readonly status: number;
  constructor(status: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
  }
}

/** Native libtorch failure that is not a shape problem. */
export class TensorError extends AppError {}

/** Formats any thrown value as a one-line message. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
