// A loopback proxy in front of a test registry that counts what it is asked and can page tag lists the way
// distribution v3 does (docker-registry 2.8 answers every tag at once and ignores `n` and `last`): sorted,
// `n` per page (`?n=` or the proxy's page size), `last` to start after, and a `Link: <...>; rel="next"`. It can
// also add headers to every answer, as Docker Hub adds `RateLimit-Remaining: 76;w=21600`, and answer in the
// registry's place while `refuse` says so (a 429 with its Retry-After, say).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { registryRequest, type TestRegistry } from './registry.js';

export interface RegistryProxy {
  /** `127.0.0.1:<port>` */
  host: string;
  /** Method and path (with query) of every request, in order. */
  requests: Array<{ method: string; path: string }>;
  stop(): Promise<void>;
}

export async function startRegistryProxy(
  upstream: TestRegistry,
  options: {
    tagPageSize?: number;
    headers?: Record<string, string>;
    refuse?: (
      method: string,
      path: string,
    ) => { status: number; headers?: Record<string, string> } | undefined;
  } = {},
): Promise<RegistryProxy> {
  const requests: RegistryProxy['requests'] = [];
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push({ method: req.method ?? 'GET', path });
    const refused = options.refuse?.(req.method ?? 'GET', path);
    if (refused) {
      res.writeHead(refused.status, { ...options.headers, ...refused.headers }).end();
      return;
    }
    const url = new URL(path, 'http://proxy');
    const tags = /^\/v2\/(.+)\/tags\/list$/.exec(url.pathname);
    const headers: Record<string, string> = {};
    for (const name of ['accept', 'if-none-match', 'content-type'])
      if (typeof req.headers[name] === 'string') headers[name] = req.headers[name] as string;
    const forward = async () => {
      const answer = await registryRequest(upstream, req.method ?? 'GET', path, headers);
      if (!tags || answer.status !== 200 || !options.tagPageSize) {
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(answer.headers))
          if (typeof v === 'string' && !['content-length', 'connection', 'transfer-encoding'].includes(k))
            out[k] = v;
        res
          .writeHead(answer.status, { ...out, ...options.headers })
          .end(req.method === 'HEAD' ? undefined : answer.body);
        return;
      }
      const all = [...((JSON.parse(answer.body) as { tags?: string[] }).tags ?? [])].sort();
      const n = Number(url.searchParams.get('n') ?? options.tagPageSize);
      const last = url.searchParams.get('last');
      const start = last === null ? 0 : all.findIndex((t) => t > last);
      const page = start < 0 ? [] : all.slice(start, start + n);
      const out: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
      if (start >= 0 && start + n < all.length)
        out.link = `</v2/${tags[1]}/tags/list?last=${encodeURIComponent(page.at(-1)!)}&n=${n}>; rel="next"`;
      res.writeHead(200, out).end(JSON.stringify({ name: tags[1], tags: page }));
    };
    forward().catch((error: Error) => res.writeHead(502).end(error.message));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
