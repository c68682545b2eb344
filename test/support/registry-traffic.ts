// What a test registry was asked, from its access log (docker-registry writes one combined-log line per
// request to stdout, whatever its log level), and cheap ways to give a repository many tags: PUT an existing
// manifest under more tags through the registry HTTP API (its blobs are already there).
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
      const res = await putManifest(registry, repo, tag, mediaType, body);
      if (res !== 201) throw new Error(`PUT ${repo}:${tag} answered ${res}`);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, put));
}

function putManifest(
  registry: TestRegistry,
  repo: string,
  reference: string,
  mediaType: string,
  body: string,
): Promise<number> {
  const target = new URL(`/v2/${repo}/manifests/${reference}`, registry.url);
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
      ? https.request(target, { method: 'PUT', headers, ca: readFileSync(registry.caFile) }, onResponse)
      : http.request(target, { method: 'PUT', headers }, onResponse);
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
