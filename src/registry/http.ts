/**
 * One HTTP(S) request with per-registry TLS options (verify on/off, extra CA), on node:http so that a CA can
 * be given per call without a global agent. Bodies are read fully, up to a bound.
 */
import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpRequestOptions {
  method: string;
  headers?: Record<string, string>;
  /** Default true; false accepts any certificate (the registry's `tlsVerify: false`). */
  tlsVerify?: boolean;
  /** PEM of the CA(s) to trust for this request, on top of the system ones. */
  ca?: string;
  timeoutMs?: number;
  maxBodyBytes?: number;
  signal?: AbortSignal;
}

const DEFAULT_MAX_BODY = 16 * 1024 * 1024;

export function httpRequest(url: URL, options: HttpRequestOptions): Promise<HttpResponse> {
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  return new Promise((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage): void => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBody) {
          req.destroy(new Error(`${options.method} ${url} answered more than ${maxBody} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    };
    const common = {
      method: options.method,
      headers: options.headers ?? {},
      ...(options.signal ? { signal: options.signal } : {}),
    };
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
    req.setTimeout(options.timeoutMs ?? 30_000, () =>
      req.destroy(new Error(`${options.method} ${url} timed out`)),
    );
    req.on('error', reject);
    req.end();
  });
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
