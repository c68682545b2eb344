// A registry whose reads are public and whose writes need a password (a common set-up: a public project
// of Harbor or Quay): a loopback proxy in front of a real docker-registry that answers 401 to any write
// without the right Basic credentials. The reconciler's own reads then succeed while a push with wrong
// credentials fails in the copy Job, as it would against such a registry.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RegistryAuth, TestRegistry } from '../registry.js';

export interface WriteGuard {
  host: string;
  stop(): Promise<void>;
}

export async function startWriteGuard(
  registry: TestRegistry,
  address: string,
  auth: RegistryAuth,
): Promise<WriteGuard> {
  const expected = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  const target = new URL(registry.url);
  const server = http.createServer((req, res) => {
    const write = req.method !== 'GET' && req.method !== 'HEAD';
    if (write && req.headers.authorization !== expected) {
      req.resume();
      res
        .writeHead(401, {
          'Content-Type': 'application/json',
          'WWW-Authenticate': 'Basic realm="write-guard"',
        })
        .end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      return;
    }
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        // The Host header stays the proxy's, so the registry's upload Locations point back here.
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `${address}:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
