import { isSecret, maskSecret } from './secret-mask.js';

/**
 * A tiny JSON-lines logger: one object per line with time, level, msg and fields. Fields whose names
 * look like secrets are replaced, and credentials in URLs (`https://user:token@host`) are masked, so that
 * a careless `log.info('cloning', { url })` never leaks a token into the logs.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; process.stdout by default. */
  write?: (line: string) => void;
  now?: () => Date;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

const SECRET_KEY = /secret|token|password|passwd|authorization|credential|private.?key|api.?key|cookie/i;
const URL_USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^/@\s:]+(?::[^/@\s]*)?@/gi;
export const REDACTED = '[redacted]';

/** Masks credentials in URLs inside a string. */
export function redactText(text: string): string {
  return text.replace(URL_USERINFO, `$1${REDACTED}@`);
}

/** A copy of `value` safe to log: Secrets masked (src/core/secret-mask.ts), secret-looking keys replaced, URL credentials masked, errors flattened. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6) return '[nested]';
  if (typeof value === 'string') return redactText(value);
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return {
      name: value.name,
      message: redactText(value.message),
      ...(typeof code === 'string' ? { code } : {}),
    };
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  if (value instanceof Date) return value.toISOString();
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(isSecret(value) ? maskSecret(value) : value)) {
      out[key] = SECRET_KEY.test(key) ? REDACTED : redact(item, depth + 1);
    }
    return out;
  }
  return value;
}

export function createLogger(options: LoggerOptions = {}, base: LogFields = {}): Logger {
  const threshold = LEVELS[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  const now = options.now ?? (() => new Date());
  const emit = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (LEVELS[level] < threshold) return;
    const record: LogFields = { time: now().toISOString(), level, msg: redactText(msg) };
    // time, level and msg are the line's own: a field of the same name cannot overwrite them
    for (const [key, value] of Object.entries(redact({ ...base, ...fields }) as LogFields)) {
      if (!(key in record)) record[key] = value;
    }
    write(`${JSON.stringify(record)}\n`);
  };
  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
    child: (fields) => createLogger(options, { ...base, ...fields }),
  };
}

/** Logs nothing: the default for library code and tests that do not look at logs. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};
