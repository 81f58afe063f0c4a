/**
 * The one error family every service throws. `http.ts` maps it to responses in
 * one place; anything that is not an AppError becomes a plain 500.
 */
export abstract class AppError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  readonly headers: Record<string, string> = {};

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends AppError {
  readonly status = 400;
  readonly code: string;
  constructor(message: string, code = "VALIDATION_ERROR") {
    super(message);
    this.code = code;
  }
}

export class UnauthorizedError extends AppError {
  readonly status = 401;
  readonly code = "UNAUTHORIZED";
}

export class ForbiddenError extends AppError {
  readonly status = 403;
  readonly code = "FORBIDDEN";
}

export class NotFoundError extends AppError {
  readonly status = 404;
  readonly code = "NOT_FOUND";
}

export class ConflictError extends AppError {
  readonly status = 409;
  readonly code = "CONFLICT";
}

export class PreconditionFailedError extends AppError {
  readonly status = 412;
  readonly code = "PRECONDITION_FAILED";
}

export class PayloadTooLargeError extends AppError {
  readonly status = 413;
  readonly code = "REQUEST_TOO_LARGE";
}

export class UnsupportedMediaTypeError extends AppError {
  readonly status = 415;
  readonly code = "UNSUPPORTED_MEDIA_TYPE";
}

export class TooManyRequestsError extends AppError {
  readonly status = 429;
  readonly code = "TOO_MANY_REQUESTS";
  constructor(message: string, retryAfterSeconds: number) {
    super(message);
    this.headers["Retry-After"] = String(Math.max(1, Math.ceil(retryAfterSeconds)));
  }
}

/** A dependency (another service, a store) failed; the caller may degrade. */
export class DependencyError extends Error {
  constructor(
    message: string,
    readonly dependency: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "DependencyError";
  }
}
