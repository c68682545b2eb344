/**
 * One HTTP(S) request with per-registry TLS options (verify on/off, extra CA), on node:http so that a CA can
 * be given per call without a global agent. Bodies are read fully, up to a bound.
 *
 * Every request is bounded in time: `connectTimeoutMs` to open the connection, and `timeoutMs` for the whole
 * exchange, from sending the request to the last byte of the body (a server that trickles one byte every few
 * seconds is cut off at the deadline, not kept alive by each byte). Redirects (GET/HEAD) are followed a few
 * times; one to another origin (scheme, host or port) drops the Authorization header, and one from HTTPS to
 * plain HTTP is refused unless `allowPlainHttp`.
 */
import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import type { ProblemClass } from '../core/errors.js';
import { abortReason } from './limits.js';

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The URL that answered, after redirects. */
  url: URL;
}

export interface HttpRequestOptions {
  method: string;
  headers?: Record<string, string>;
  /** Default true; false accepts any certificate (the registry's `tlsVerify: false`). */
  tlsVerify?: boolean;
  /** PEM of the CA(s) to trust for this request, on top of the system ones. */
  ca?: string;
  /** The whole exchange, connection to last body byte; default 30 s. */
  timeoutMs?: number;
  /** Opening the connection (TCP and TLS); default 10 s. */
  connectTimeoutMs?: number;
  maxBodyBytes?: number;
  signal?: AbortSignal;
  /** Redirects followed for GET and HEAD; default 5. */
  maxRedirects?: number;
  /** Follow a redirect from https to http (only for registries explicitly insecure). */
  allowPlainHttp?: boolean;
}

const DEFAULT_MAX_BODY = 16 * 1024 * 1024;

/** A request that failed for a reason of its own (not Node's connection errors), classified where it arose. */
export class HttpFailure extends Error {
  constructor(
    message: string,
    readonly problemClass: ProblemClass,
  ) {
    super(message);
    this.name = 'HttpFailure';
  }
}

export class HttpDeadlineError extends HttpFailure {
  constructor(message: string) {
    super(message, { reason: 'Timeout', retryable: true });
    this.name = 'HttpDeadlineError';
  }
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/** One exchange, no redirects. */
function once(url: URL, options: HttpRequestOptions, headers: Record<string, string>): Promise<HttpResponse> {
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const connectTimeoutMs = Math.min(options.connectTimeoutMs ?? 10_000, timeoutMs);
  const what = `${options.method} ${url.origin}${url.pathname}`;
  return new Promise((resolve, reject) => {
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = (error: Error | undefined, response?: HttpResponse) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      options.signal?.removeEventListener('abort', onAbort);
      if (error) {
        req.destroy();
        reject(error);
      } else resolve(response!);
    };
    const onAbort = () => finish(abortReason(options.signal!, `${what}: aborted`));
    const onResponse = (res: http.IncomingMessage): void => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBody) {
          finish(
            new HttpFailure(`${what} answered more than ${maxBody} bytes`, {
              reason: 'BadResponse',
              retryable: false,
            }),
          );
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () =>
        finish(undefined, {
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          url,
        }),
      );
      res.on('error', (error) => finish(error));
      res.on('aborted', () =>
        finish(
          new HttpFailure(`${what}: the connection closed mid-answer`, {
            reason: 'Unreachable',
            retryable: true,
          }),
        ),
      );
    };
    const common = { method: options.method, headers };
    const req =
      url.protocol === 'https:'
        ? https.request(
            url,
            {
              ...common,
              rejectUnauthorized: options.tlsVerify !== false,
              ...(options.ca ? { ca: [...rootCertificates, options.ca] } : {}),
            },
            onResponse,
          )
        : http.request(url, common, onResponse);
    req.on('error', (error) => finish(error));
    timers.push(
      setTimeout(
        () =>
          finish(
            new HttpDeadlineError(
              `${what}: no complete answer within ${seconds(timeoutMs)} (request deadline, REGISTRY_REQUEST_TIMEOUT_SECONDS)`,
            ),
          ),
        timeoutMs,
      ),
    );
    req.on('socket', (socket) => {
      const connected = url.protocol === 'https:' ? 'secureConnect' : 'connect';
      if ((socket as { connecting?: boolean }).connecting === false) return;
      const timer = setTimeout(
        () =>
          finish(
            new HttpDeadlineError(
              `${what}: could not connect within ${seconds(connectTimeoutMs)} (REGISTRY_CONNECT_TIMEOUT_SECONDS)`,
            ),
          ),
        connectTimeoutMs,
      );
      timers.push(timer);
      socket.once(connected, () => clearTimeout(timer));
    });
    if (options.signal) {
      if (options.signal.aborted) {
        onAbort();
        return;
      }
      options.signal.addEventListener('abort', onAbort, { once: true });
    }
    req.end();
  });
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** The request, following redirects of GET and HEAD within the same overall deadline. */
export async function httpRequest(url: URL, options: HttpRequestOptions): Promise<HttpResponse> {
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? 30_000;
  const follow = options.method === 'GET' || options.method === 'HEAD' ? (options.maxRedirects ?? 5) : 0;
  let headers = { ...(options.headers ?? {}) };
  let current = url;
  for (let hop = 0; ; hop++) {
    const left = timeoutMs - (Date.now() - started);
    if (left <= 0) {
      throw new HttpDeadlineError(
        `${options.method} ${url.origin}${url.pathname}: no complete answer within ${seconds(timeoutMs)} (request deadline, REGISTRY_REQUEST_TIMEOUT_SECONDS)`,
      );
    }
    const res = await once(current, { ...options, timeoutMs: left }, headers);
    const location = res.headers.location;
    if (!REDIRECTS.has(res.status) || !location || hop >= follow) return res;
    const next = new URL(location, current);
    if (next.protocol !== 'https:' && next.protocol !== 'http:') return res;
    if (current.protocol === 'https:' && next.protocol === 'http:' && !options.allowPlainHttp) {
      throw new HttpFailure(
        `${options.method} ${current.origin}${current.pathname} redirects to plain HTTP (${next.origin}): refused`,
        { reason: 'Refused', retryable: false },
      );
    }
    if (next.origin !== current.origin) {
      // Credentials were meant for the origin asked, never for where it points.
      headers = Object.fromEntries(
        Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'),
      );
    }
    current = next;
  }
}

/** Errors that mean "this port speaks plain HTTP", for registries reached with TLS verification off. */
export function isTlsHandshakeFailure(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const message = error instanceof Error ? error.message : '';
  return (
    code === 'EPROTO' ||
    code === 'ERR_SSL_WRONG_VERSION_NUMBER' ||
    code === 'ECONNRESET' ||
    /wrong version number|packet length too long/i.test(message)
  );
}
