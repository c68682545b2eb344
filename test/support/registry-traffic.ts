// What a test registry was asked, from its access log (docker-registry writes one combined-log line per
// request to stdout, whatever its log level), and cheap ways to give a repository many tags: PUT an existing
// manifest under more tags through the registry HTTP API (its blobs are already there).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { MANIFEST_ACCEPT, registryRequest, type TestRegistry } from './registry.js';

export interface LoggedRequest {
  method: string;
  /** Path and query as asked. */
  path: string;
  status: number;
}

const ACCESS_LINE = /^\S+ \S+ \S+ \[[^\]]+\] "([A-Z]+) (\S+) HTTP\/[\d.]+" (\d{3}) /;

export function loggedRequests(registry: TestRegistry): LoggedRequest[] {
  const requests: LoggedRequest[] = [];
  for (const line of registry.logs().split('\n')) {
    const match = ACCESS_LINE.exec(line);
    if (match) requests.push({ method: match[1]!, path: match[2]!, status: Number(match[3]) });
  }
  return requests;
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The number of logged requests once the log has stopped growing (its pipe is read asynchronously). */
export async function trafficMark(registry: TestRegistry): Promise<number> {
  let previous = loggedRequests(registry).length;
  for (let i = 0; i < 20; i++) {
    await settle(100);
    const now = loggedRequests(registry).length;
    if (now === previous) return now;
    previous = now;
  }
  return previous;
}

/** The requests logged after `mark`, once the log has stopped growing. */
export async function trafficSince(registry: TestRegistry, mark: number): Promise<LoggedRequest[]> {
  await trafficMark(registry);
  return loggedRequests(registry).slice(mark);
}

/** `GET /v2/a/tags/list` → `GET tags a`, `HEAD /v2/a/manifests/v1` → `HEAD a:v1 304`: short to compare. */
export function describeRequest(r: LoggedRequest): string {
  const tags = /^\/v2\/(.+)\/tags\/list/.exec(r.path);
  if (tags) return `${r.method} tags ${tags[1]}`;
  const manifest = /^\/v2\/(.+)\/manifests\/([^?]+)/.exec(r.path);
  if (manifest) return `${r.method} ${manifest[1]}:${manifest[2]} ${r.status}`;
  return `${r.method} ${r.path} ${r.status}`;
}

/**
 * PUTs the manifest of `repo:from` under each of `tags`. With `distinct`, each copy gets an annotation of its
 * own tag, so each tag has its own digest (same config and layers); without, all share `from`'s digest.
 */
export async function addTags(
  registry: TestRegistry,
  repo: string,
  from: string,
  tags: readonly string[],
  options: { distinct?: boolean; concurrency?: number } = {},
): Promise<void> {
  const got = await registryRequest(registry, 'GET', `/v2/${repo}/manifests/${from}`, {
    Accept: MANIFEST_ACCEPT,
  });
  if (got.status !== 200) throw new Error(`GET ${repo}:${from} answered ${got.status}`);
  const mediaType = String(got.headers['content-type']);
  const queue = [...tags];
  const put = async () => {
    for (let tag = queue.shift(); tag !== undefined; tag = queue.shift()) {
      const body = options.distinct
        ? JSON.stringify({ ...JSON.parse(got.body), annotations: { 'test.tag': tag } })
        : got.body;
      const res = await send(registry, 'PUT', `/v2/${repo}/manifests/${tag}`, mediaType, body);
      if (res !== 201) throw new Error(`PUT ${repo}:${tag} answered ${res}`);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, put));
}

function send(
  registry: TestRegistry,
  method: string,
  path: string,
  mediaType: string,
  body: string | Buffer,
): Promise<number> {
  const target = new URL(path, registry.url);
  const headers: Record<string, string> = { 'Content-Type': mediaType };
  if (registry.auth) {
    const basic = Buffer.from(`${registry.auth.username}:${registry.auth.password}`).toString('base64');
    headers.Authorization = `Basic ${basic}`;
  }
  return new Promise((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    };
    const req = registry.caFile
      ? https.request(target, { method, headers, ca: readFileSync(registry.caFile) }, onResponse)
      : http.request(target, { method, headers }, onResponse);
    req.on('error', reject);
    req.end(body);
  });
}

/** Deletes the manifest a tag points to (every tag of that digest goes with it). */
export async function deleteTagged(registry: TestRegistry, repo: string, tag: string): Promise<void> {
  const head = await registryRequest(registry, 'HEAD', `/v2/${repo}/manifests/${tag}`, {
    Accept: MANIFEST_ACCEPT,
  });
  const digest = head.headers['docker-content-digest'];
  if (head.status !== 200 || typeof digest !== 'string')
    throw new Error(`HEAD ${repo}:${tag} answered ${head.status}`);
  const res = await registryRequest(registry, 'DELETE', `/v2/${repo}/manifests/${digest}`);
  if (res.status !== 202) throw new Error(`DELETE ${repo}@${digest} answered ${res.status}`);
}

/**
 * Pushes `repo:tag` as the single-platform image `repo:from` with its config's `created` (and history)
 * changed to `created`: a new config blob (monolithic upload), the same layers, a new manifest.
 */
export async function pushCreatedAt(
  registry: TestRegistry,
  repo: string,
  from: string,
  tag: string,
  created: string,
): Promise<string> {
  const got = await registryRequest(registry, 'GET', `/v2/${repo}/manifests/${from}`, {
    Accept: MANIFEST_ACCEPT,
  });
  const manifest = JSON.parse(got.body) as { config: { digest: string; size: number } };
  const blob = await registryRequest(registry, 'GET', `/v2/${repo}/blobs/${manifest.config.digest}`);
  const config = { ...(JSON.parse(blob.body) as Record<string, unknown>), created, history: [{ created }] };
  const body = Buffer.from(JSON.stringify(config));
  const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
  const started = await registryRequest(registry, 'POST', `/v2/${repo}/blobs/uploads/`);
  const location = new URL(String(started.headers.location), registry.url);
  location.searchParams.set('digest', digest);
  const put = await send(
    registry,
    'PUT',
    `${location.pathname}${location.search}`,
    'application/octet-stream',
    body,
  );
  if (put !== 201) throw new Error(`PUT blob ${digest} answered ${put}`);
  const next = JSON.stringify({ ...manifest, config: { ...manifest.config, digest, size: body.length } });
  const status = await send(
    registry,
    'PUT',
    `/v2/${repo}/manifests/${tag}`,
    String(got.headers['content-type']),
    next,
  );
  if (status !== 201) throw new Error(`PUT ${repo}:${tag} answered ${status}`);
  return `sha256:${createHash('sha256').update(next).digest('hex')}`;
}
