import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Logger, silentLogger } from '../core/logger.js';
import type { SyncReport } from '../status/types.js';
import type { Metrics } from './metrics.js';
import {
  PAGE_CSP,
  type PageData,
  type PageQuery,
  type PageSettings,
  renderLoginPage,
  renderStatusPage,
} from './page.js';
import { PageAccess } from './page-access.js';
import { decideWebhook, type WebhookDecision } from './webhook.js';

/**
 * The reconciler's HTTP face, on node:http with no framework:
 * - `GET /healthz`: the process answers (liveness).
 * - `GET /readyz`: 200 once this replica can do its job: the leader after its first sync completed or failed
 *   cleanly, a follower as soon as it is standing by; 503 before.
 * - `GET /metrics`: Prometheus text format.
 * - `GET /status`: the last SyncReport as JSON (404 before the first one).
 * - `POST /webhook`: a push from GitHub, GitLab, Gitea or Gogs, verified against the secret, triggers a sync.
 * - `POST /sync`: a manual trigger (the CLI's `trigger`), with `Authorization: Bearer <webhook secret>`.
 * - `GET /`: the read-only status page (page.ts); with a page token, it and `/status` need the token
 *   (`POST /login` signs a browser in).
 */
export interface WebhookHandling {
  /** Without a secret, webhooks are refused: an open endpoint would let anyone trigger syncs. */
  secret: string | undefined;
  /** The ref the reconciler follows; pushes to other refs are acknowledged and ignored. */
  ref?: string;
  /** Bodies larger than this are refused with 413 (default 1 MiB). */
  maxBodyBytes?: number;
  /** Called for a verified push; its answer goes back to the forge (202 when a sync was triggered). */
  onPush(push: Extract<WebhookDecision, { action: 'trigger' }>): WebhookAnswer | Promise<WebhookAnswer>;
}

export interface WebhookAnswer {
  status: number;
  message: string;
}

export interface HttpServerOptions {
  metrics: Metrics;
  lastReport(): SyncReport | undefined;
  isReady(): boolean;
  isLeader?(): boolean;
  webhook?: WebhookHandling;
  /** A manual sync request, already authorised; answers like a webhook. */
  onManualTrigger?(): WebhookAnswer;
  /** The status page; without it `/` answers 404. */
  page?: StatusPageHandling;
  logger?: Logger;
}

export interface StatusPageHandling {
  data(): PageData | Promise<PageData>;
  settings: PageSettings;
  /** Bearer token for the page and `/status`; open when unset. */
  token?: string;
}

export interface RunningServer {
  server: Server;
  /** `http://host:port`, with the port actually bound. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export const DEFAULT_MAX_WEBHOOK_BYTES = 1024 * 1024;

class BodyTooLarge extends Error {}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new BodyTooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function handleWebhook(
  req: IncomingMessage,
  res: ServerResponse,
  options: HttpServerOptions,
  logger: Logger,
): Promise<void> {
  const webhook = options.webhook;
  const count = (provider: string, outcome: string) =>
    options.metrics.webhookRequests.inc({ provider, outcome });
  if (!webhook?.secret) {
    count('', 'rejected');
    sendJson(res, 404, { message: 'webhooks are disabled: no webhook secret is configured' });
    return;
  }
  let body: Buffer;
  try {
    body = await readBody(req, webhook.maxBodyBytes ?? DEFAULT_MAX_WEBHOOK_BYTES);
  } catch (error) {
    count('', 'rejected');
    if (error instanceof BodyTooLarge) {
      res.setHeader('connection', 'close');
      sendJson(res, 413, { message: 'webhook body too large' });
    } else sendJson(res, 400, { message: 'could not read the request body' });
    return;
  }
  const decision = decideWebhook({ headers: req.headers, body, secret: webhook.secret, ref: webhook.ref });
  const provider = decision.provider ?? '';
  if (decision.action === 'reject') {
    count(provider, 'rejected');
    logger.warn('webhook rejected', { provider, reason: decision.reason, remote: req.socket.remoteAddress });
    sendJson(res, decision.status, { message: decision.reason });
    return;
  }
  if (decision.action === 'ignore') {
    count(provider, 'ignored');
    logger.info('webhook ignored', { provider, reason: decision.reason });
    sendJson(res, decision.status, { message: decision.reason });
    return;
  }
  const answer = await webhook.onPush(decision);
  count(provider, answer.status < 300 ? 'triggered' : 'refused');
  logger.info('webhook push', {
    provider,
    ref: decision.ref,
    status: answer.status,
    message: answer.message,
  });
  sendJson(res, answer.status, { message: answer.message });
}

/** The same secret guards manual triggers as webhooks: without one, nobody may trigger a sync over HTTP. */
function handleManualTrigger(req: IncomingMessage, res: ServerResponse, options: HttpServerOptions): void {
  const secret = options.webhook?.secret;
  const given = Buffer.from(req.headers.authorization ?? '');
  const expected = Buffer.from(`Bearer ${secret ?? ''}`);
  if (!secret || !options.onManualTrigger) {
    sendJson(res, 404, { message: 'manual triggers need WEBHOOK_SECRET to be set' });
  } else if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    sendJson(res, 401, { message: 'send Authorization: Bearer <webhook secret>' });
  } else {
    const answer = options.onManualTrigger();
    sendJson(res, answer.status, { message: answer.message });
  }
}

function sendHtml(
  res: ServerResponse,
  status: number,
  html: string,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': PAGE_CSP,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    ...extra,
  });
  res.end(html);
}

const MAX_LOGIN_BYTES = 4096;

/** The sign-in form's post: the right token sets the cookie and goes back to the page. */
async function handleLogin(req: IncomingMessage, res: ServerResponse, access: PageAccess): Promise<void> {
  let body: Buffer;
  try {
    body = await readBody(req, MAX_LOGIN_BYTES);
  } catch {
    return sendHtml(res, 413, renderLoginPage('that was too long for a token'));
  }
  const given = new URLSearchParams(body.toString('utf8')).get('token') ?? '';
  if (!access.accepts(given)) return sendHtml(res, 401, renderLoginPage('wrong token; try again'));
  res.writeHead(303, { location: '/', 'set-cookie': access.setCookieHeader(), 'cache-control': 'no-store' });
  res.end();
}

function pageQuery(url: URL): PageQuery {
  const get = (name: string) => url.searchParams.get(name)?.slice(0, 200) || undefined;
  const query: PageQuery = {};
  const kind = get('kind');
  const result = get('result');
  const q = get('q');
  if (kind) query.kind = kind;
  if (result) query.result = result;
  if (q) query.q = q;
  return query;
}

export function createRequestHandler(options: HttpServerOptions) {
  const logger = options.logger ?? silentLogger;
  const access = new PageAccess(options.page?.token);
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const isRead = req.method === 'GET' || req.method === 'HEAD';
    try {
      if (path === '/login' && options.page) {
        if (req.method !== 'POST') return sendJson(res, 405, { message: 'use POST' });
        return await handleLogin(req, res, access);
      }
      if (path === '/webhook') {
        if (req.method !== 'POST') return sendJson(res, 405, { message: 'use POST' });
        return await handleWebhook(req, res, options, logger);
      }
      if (path === '/sync') {
        if (req.method !== 'POST') return sendJson(res, 405, { message: 'use POST' });
        return handleManualTrigger(req, res, options);
      }
      if (!isRead) return sendJson(res, 405, { message: 'use GET' });
      switch (path) {
        case '/healthz':
          return sendJson(res, 200, { status: 'ok' });
        case '/readyz': {
          const ready = options.isReady();
          return sendJson(res, ready ? 200 : 503, { ready, leader: options.isLeader?.() ?? true });
        }
        case '/metrics': {
          const text = await options.metrics.registry.metrics();
          res.writeHead(200, { 'content-type': options.metrics.registry.contentType });
          res.end(text);
          return;
        }
        case '/': {
          if (!options.page) return sendJson(res, 404, { message: 'no status page' });
          if (!access.allows(req)) return sendHtml(res, 401, renderLoginPage('this page needs a token'));
          const data = await options.page.data();
          return sendHtml(res, 200, renderStatusPage(data, options.page.settings, pageQuery(url)));
        }
        case '/status': {
          if (!access.allows(req))
            return sendJson(res, 401, { message: 'send Authorization: Bearer <status page token>' });
          const report = options.lastReport();
          if (!report) {
            return sendJson(res, 404, {
              message: 'no sync report yet: the first sync is running, or this replica is a follower',
              leader: options.isLeader?.() ?? true,
            });
          }
          return sendJson(res, 200, report);
        }
        default:
          return sendJson(res, 404, { message: `no such endpoint: ${path}` });
      }
    } catch (error) {
      logger.error('http handler failed', { path, error });
      if (!res.headersSent) sendJson(res, 500, { message: 'internal error' });
      else res.destroy();
    }
  };
}

/** Starts the server; `port: 0` binds a free port (tests). */
export function startHttpServer(
  options: HttpServerOptions,
  listen: { host: string; port: number },
): Promise<RunningServer> {
  const handler = createRequestHandler(options);
  const server = createServer((req, res) => void handler(req, res));
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      const { port, address } = server.address() as AddressInfo;
      const host = address.includes(':') ? `[${address}]` : address;
      resolve({
        server,
        port,
        url: `http://${host}:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

export { parseListenAddress } from '../config/reconciler-config.js';
