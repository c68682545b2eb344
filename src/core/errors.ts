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

/** A problem reported to the user: a code for tools, a location, and a message that says what to do. */
export interface Problem {
  code: ErrorCode;
  message: string;
  location?: SourceLocation;
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

/** An error carrying a Problem, thrown across I/O edges and caught by the engine. */
export class ImageGitopsError extends Error {
  readonly code: ErrorCode;
  readonly location?: SourceLocation;

  constructor(code: ErrorCode, message: string, location?: SourceLocation, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImageGitopsError';
    this.code = code;
    if (location) this.location = location;
  }

  toProblem(): Problem {
    return this.location
      ? { code: this.code, message: this.message, location: this.location }
      : { code: this.code, message: this.message };
  }
}

export function problemFromError(error: unknown, fallback: ErrorCode, location?: SourceLocation): Problem {
  if (error instanceof ImageGitopsError) return error.toProblem();
  const message = error instanceof Error ? error.message : String(error);
  return location ? { code: fallback, message, location } : { code: fallback, message };
}
