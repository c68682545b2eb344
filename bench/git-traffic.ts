// A loopback HTTP proxy in front of the test git server that counts what each side fetches: requests and
// response bytes (the packs and ref advertisements as sent on the wire), so that the rows can say how many
// bytes a sync pulled from git, for the engine and for native git alike.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GitTraffic {
  requests: number;
  /** Response bytes (headers not counted): what the client downloaded. */
  bytes: number;
}

export interface GitTrafficProxy {
  /** The proxy's URL for a repo URL of the server behind it. */
  proxied(url: string): string;
  /** A running total, to subtract from: `since(mark)` is what was fetched after `mark` was taken. */
  mark(): GitTraffic;
  since(mark: GitTraffic): GitTraffic;
  stop(): Promise<void>;
}

export async function startGitTrafficProxy(upstreamBaseUrl: string): Promise<GitTrafficProxy> {
  const upstream = new URL(upstreamBaseUrl);
  const total: GitTraffic = { requests: 0, bytes: 0 };
  const server = http.createServer((req, res) => {
    total.requests++;
    const forward = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.on('data', (chunk: Buffer) => {
          total.bytes += chunk.length;
        });
        answer.pipe(res);
      },
    );
    forward.on('error', (error) => res.writeHead(502).end(error.message));
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    proxied: (url) => `${base}${new URL(url).pathname}`,
    mark: () => ({ ...total }),
    since: (mark) => ({ requests: total.requests - mark.requests, bytes: total.bytes - mark.bytes }),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
