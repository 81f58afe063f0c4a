/**
 * The one error family. Domains and adapters throw these to say what went
 * wrong in their own terms; none of them knows about HTTP. src/shared/http.ts
 * maps each kind to a status and headers in one table, and anything that is
 * not a DomainError (or is a DependencyError) becomes a plain 500.
 */
export abstract class DomainError extends Error {
  /** Stable and machine-readable: the `code` of the error body. */
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The input breaks a rule; `code` says which kind (`VALIDATION_ERROR` unless more is known). */
export class ValidationError extends DomainError {
  readonly code: string;
  constructor(message: string, code = "VALIDATION_ERROR") {
    super(message);
    this.code = code;
  }
}

/** The caller did not prove who they are (no credential, or a wrong one). */
export class UnauthorizedError extends DomainError {
  readonly code = "UNAUTHORIZED";
}

/** The caller is known but may not do this. */
export class ForbiddenError extends DomainError {
  readonly code = "FORBIDDEN";
}

export class NotFoundError extends DomainError {
  readonly code = "NOT_FOUND";
}

/** The change collides with what exists (a taken name). */
export class ConflictError extends DomainError {
  readonly code = "CONFLICT";
}

/** The caller's precondition (the version it last saw) no longer holds. */
export class PreconditionFailedError extends DomainError {
  readonly code = "PRECONDITION_FAILED";
}

/** Too many attempts; worth retrying after `retryAfterSeconds`. */
export class TooManyRequestsError extends DomainError {
  readonly code = "TOO_MANY_REQUESTS";
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** The request is larger than the edge accepts. */
export class PayloadTooLargeError extends DomainError {
  readonly code = "REQUEST_TOO_LARGE";
}

/** The request's body is not in a format the edge reads. */
export class UnsupportedMediaTypeError extends DomainError {
  readonly code = "UNSUPPORTED_MEDIA_TYPE";
}

/** A dependency (another service, a store) failed or could not be reached; the caller may degrade. */
export class DependencyError extends DomainError {
  readonly code = "DEPENDENCY_UNAVAILABLE";
  constructor(
    message: string,
    readonly dependency: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    // Spelled out: minified bundles rename classes, and this name is what degraded-read logs show.
    this.name = "DependencyError";
  }
}
