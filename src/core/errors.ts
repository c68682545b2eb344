/** Where a problem is: a file of the config repo, and optionally a position and a field path in it. */
export interface SourceLocation {
  file: string;
  line?: number;
  column?: number;
  /** JSON-pointer-like path of the field, e.g. `/spec/source/name`. */
  field?: string;
}

export type ErrorCode =
  | 'YAML_PARSE'
  | 'SCHEMA'
  | 'UNKNOWN_KIND'
  | 'DUPLICATE_MANIFEST'
  | 'FILE_TOO_LARGE'
  | 'SYMLINK_OUTSIDE'
  | 'NOT_AN_OBJECT'
  | 'INVALID_SPEC'
  | 'OBSERVE_FAILED'
  | 'RENDER_FAILED'
  | 'GIT_FETCH'
  | 'GIT_REF_NOT_FOUND'
  | 'GIT_AUTH'
  | 'KUBE_API'
  | 'PRUNE_REFUSED'
  | 'REGISTRY'
  | 'CONFIG'
  | 'SECRET_REFUSED'
  | 'DUPLICATE_OBJECT'
  | 'OBJECT_CONFLICT'
  | 'STATUS_NOT_SAVED';

/**
 * What kind of failure a problem is, decided where it arose (an HTTP status, a connection error), never read
 * back from message text. It names the condition reason a manifest shows (src/status/conditions.ts).
 */
export type ErrorReason =
  /** The manifest or a file of the repo is wrong: fixed by a commit. */
  | 'ValidationFailed'
  /** Credentials missing or refused (HTTP 401). */
  | 'AuthenticationFailed'
  /** Credentials accepted, access denied (HTTP 403, RBAC). */
  | 'Forbidden'
  | 'NotFound'
  /** Someone else changed it first (HTTP 409): the next try reads it afresh. */
  | 'Conflict'
  /** The server refused the object itself (HTTP 400/422). */
  | 'Invalid'
  | 'RateLimited'
  | 'ServerError'
  /** No connection: refused, reset, no such host. */
  | 'Unreachable'
  | 'Timeout'
  /** The peer's certificate is not trusted: a CA or `tlsVerify` to set, not a retry. */
  | 'TlsUntrusted'
  /** An answer that is not what the protocol says (a registry's malformed JSON, an HTML page for git). */
  | 'BadResponse'
  /** A rule of image-gitops refused it (a Secret not meant for manifests, an object it does not own). */
  | 'Refused'
  | 'RenderFailed'
  /** Nothing more is known. */
  | 'Failed';

/**
 * A problem reported to the user: a code for tools, a location, and a message that says what to do.
 * `reason` and `retryable` are set where the error was classified; without them the code's defaults apply
 * (problemClass), so that problems made as plain values, and those stored before, keep their meaning.
 */
export interface Problem {
  code: ErrorCode;
  message: string;
  location?: SourceLocation;
  reason?: ErrorReason;
  /** Whether trying again (the next sync) can help; false means a person has to change something. */
  retryable?: boolean;
}

export interface ProblemClass {
  reason: ErrorReason;
  retryable: boolean;
}

const VALIDATION: ProblemClass = { reason: 'ValidationFailed', retryable: false };
const REFUSED: ProblemClass = { reason: 'Refused', retryable: false };

/** What a problem of each code is when nothing more precise was said where it arose. */
const CODE_CLASSES: Record<ErrorCode, ProblemClass> = {
  YAML_PARSE: VALIDATION,
  SCHEMA: VALIDATION,
  UNKNOWN_KIND: VALIDATION,
  DUPLICATE_MANIFEST: VALIDATION,
  FILE_TOO_LARGE: VALIDATION,
  SYMLINK_OUTSIDE: VALIDATION,
  NOT_AN_OBJECT: VALIDATION,
  INVALID_SPEC: VALIDATION,
  CONFIG: VALIDATION,
  // A credentials Secret not there yet, a registry down: the next sync may well find it.
  OBSERVE_FAILED: { reason: 'Failed', retryable: true },
  RENDER_FAILED: { reason: 'RenderFailed', retryable: false },
  GIT_FETCH: { reason: 'Failed', retryable: true },
  GIT_REF_NOT_FOUND: { reason: 'NotFound', retryable: false },
  GIT_AUTH: { reason: 'AuthenticationFailed', retryable: false },
  KUBE_API: { reason: 'Failed', retryable: true },
  REGISTRY: { reason: 'Failed', retryable: true },
  PRUNE_REFUSED: REFUSED,
  SECRET_REFUSED: REFUSED,
  DUPLICATE_OBJECT: REFUSED,
  OBJECT_CONFLICT: REFUSED,
  STATUS_NOT_SAVED: { reason: 'Failed', retryable: true },
};

/** The reason of a problem and whether a retry can help: as classified where it arose, else by its code. */
export function problemClass(problem: Pick<Problem, 'code' | 'reason' | 'retryable'>): ProblemClass {
  const byCode = CODE_CLASSES[problem.code] ?? { reason: 'Failed', retryable: true };
  return { reason: problem.reason ?? byCode.reason, retryable: problem.retryable ?? byCode.retryable };
}

/** HTTP statuses as failure classes, the same for git, registries and the Kubernetes API. */
export function httpStatusClass(status: number): ProblemClass {
  if (status === 401) return { reason: 'AuthenticationFailed', retryable: false };
  if (status === 403) return { reason: 'Forbidden', retryable: false };
  if (status === 404) return { reason: 'NotFound', retryable: false };
  if (status === 409) return { reason: 'Conflict', retryable: true };
  if (status === 400 || status === 422) return { reason: 'Invalid', retryable: false };
  if (status === 408) return { reason: 'Timeout', retryable: true };
  if (status === 429) return { reason: 'RateLimited', retryable: true };
  if (status >= 500) return { reason: 'ServerError', retryable: true };
  if (status >= 400) return { reason: 'Failed', retryable: false };
  return { reason: 'BadResponse', retryable: false };
}

/** Node's certificate verification failures: retrying cannot make a certificate trusted. */
const TLS_UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * A failure below HTTP, by Node's error code (ECONNREFUSED, ENOTFOUND...): undefined when the error has
 * none, so that the caller decides what an unknown failure is.
 */
export function connectionFailureClass(error: unknown): ProblemClass | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  if (TLS_UNTRUSTED.has(code)) return { reason: 'TlsUntrusted', retryable: false };
  if (code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT') return { reason: 'Timeout', retryable: true };
  if (/^E[A-Z_]+$/.test(code)) return { reason: 'Unreachable', retryable: true };
  return undefined;
}

export function formatLocation(location: SourceLocation | undefined): string {
  if (!location) return '';
  let text = location.file;
  if (location.line !== undefined) text += `:${location.line}`;
  if (location.column !== undefined) text += `:${location.column}`;
  if (location.field) text += ` ${location.field}`;
  return text;
}

export function formatProblem(problem: Problem): string {
  const where = formatLocation(problem.location);
  return `${where ? `${where}: ` : ''}${problem.message} [${problem.code}]`;
}

/** An error that knows the problem it is (ImageGitopsError, KubeApiError). */
export interface ReportableError {
  toProblem(): Problem;
}

function isReportable(error: unknown): error is ReportableError {
  return error instanceof Error && typeof (error as Partial<ReportableError>).toProblem === 'function';
}

export interface ImageGitopsErrorOptions {
  cause?: unknown;
  /** The class of the failure, decided where it arose (an HTTP status...); else the code's default. */
  classified?: ProblemClass;
}

/** An error carrying a Problem, thrown across I/O edges and caught by the engine. */
export class ImageGitopsError extends Error implements ReportableError {
  readonly code: ErrorCode;
  readonly location?: SourceLocation;
  readonly classified?: ProblemClass;

  constructor(
    code: ErrorCode,
    message: string,
    location?: SourceLocation,
    options?: ImageGitopsErrorOptions,
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ImageGitopsError';
    this.code = code;
    if (location) this.location = location;
    if (options?.classified) this.classified = options.classified;
  }

  /** Its reason and whether a retry can help, as classified or by its code. */
  get problemClass(): ProblemClass {
    return problemClass({ code: this.code, ...this.classified });
  }

  toProblem(): Problem {
    return {
      code: this.code,
      message: this.message,
      ...(this.location ? { location: this.location } : {}),
      ...this.classified,
    };
  }
}

/**
 * Any error as a problem: an error that knows its problem keeps it (its code, reason and retryability);
 * others take the fallback code and the given location. An ImageGitopsError's problem is located where it
 * was thrown or not at all, as before; an API refusal (KubeApiError) takes the given location.
 */
export function problemFromError(error: unknown, fallback: ErrorCode, location?: SourceLocation): Problem {
  if (isReportable(error)) {
    const problem = error.toProblem();
    return location && !problem.location && !(error instanceof ImageGitopsError)
      ? { ...problem, location }
      : problem;
  }
  const message = error instanceof Error ? error.message : String(error);
  return location ? { code: fallback, message, location } : { code: fallback, message };
}
