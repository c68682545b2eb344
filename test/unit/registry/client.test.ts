// The registry client against real loopback registries (docker-registry: plain, basic auth, TLS with a CA),
// and the bearer-token flow through a small Node server on loopback that plays the token service in front of
// a real registry: it answers 401 + `WWW-Authenticate: Bearer realm=...,service=...,scope=...`, issues a token
// for basic credentials at /token, and proxies requests carrying that token to the registry.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import FakeTimers from '@sinonjs/fake-timers';
import type { ErrorReason } from '../../../src/core/errors.js';
import { RegistryClient, RegistryError } from '../../../src/registry/client.js';
import { pushTestImage } from '../../support/oci-image.js';
import { manifestDigest, startRegistry, type TestRegistry } from '../../support/registry.js';

/** A rejection that is a RegistryError of this message, reason and retryability. */
function registryRefusal(message: RegExp, reason: ErrorReason, retryable: boolean) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof RegistryError, String(error));
    assert.match(error.message, message);
    assert.deepEqual([error.toProblem().reason, error.toProblem().retryable], [reason, retryable]);
    return true;
  };
}

interface TokenServer {
  host: string;
  requests: string[];
  /** Answer the next `count` registry requests with 429 and this Retry-After. */
  throttle(count: number, retryAfter: string): void;
  close(): Promise<void>;
}

async function startTokenServer(
  upstream: TestRegistry,
  user: string,
  password: string,
): Promise<TokenServer> {
  const token = 'tok-123';
  const requests: string[] = [];
  let throttled = 0;
  let retryAfter = '0';
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(
      `${req.method} ${url.pathname}${req.headers.authorization ? ` [${req.headers.authorization.split(' ')[0]}]` : ''}`,
    );
    if (url.pathname === '/token') {
      const expected = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
      if (req.headers.authorization !== expected) {
        res.writeHead(401).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
        return;
      }
      res
        .writeHead(200, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ token, expires_in: 300 }));
      return;
    }
    if (throttled > 0) {
      throttled--;
      res.writeHead(429, { 'Retry-After': retryAfter }).end();
      return;
    }
    if (req.headers.authorization !== `Bearer ${token}`) {
      const repo = /^\/v2\/(.+)\/(?:tags|manifests)\//.exec(url.pathname)?.[1] ?? '';
      const realm = `http://${req.headers.host}/token`;
      res
        .writeHead(401, {
          'WWW-Authenticate': `Bearer realm="${realm}",service="test-registry",scope="repository:${repo}:pull"`,
        })
        .end();
      return;
    }
    const forward = http.request(
      new URL(`${url.pathname}${url.search}`, upstream.url),
      { method: req.method, headers: { accept: req.headers.accept ?? '*/*' } },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    forward.on('error', () => res.writeHead(502).end());
    forward.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    throttle: (count, value) => {
      throttled = count;
      retryAfter = value;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('registry client against real registries', function () {
  this.timeout(120_000);
  const auth = { username: 'alice', password: 'wonder:land' };
  let plain: TestRegistry;
  let basic: TestRegistry;
  let tls: TestRegistry;

  before(async () => {
    [plain, basic, tls] = await Promise.all([
      startRegistry(),
      startRegistry({ auth }),
      startRegistry({ tls: true }),
    ]);
    for (const tag of ['v1.0.0', 'v1.1.0', 'v1.2.0', 'latest', 'v2.0.0-rc1'])
      await pushTestImage(plain, 'team/app', tag);
    await pushTestImage(plain, 'team/multi', 'v1', { architectures: ['amd64', 'arm64'] });
    await pushTestImage(basic, 'team/app', 'v1.0.0');
    await pushTestImage(tls, 'team/app', 'v1.0.0');
  });

  after(async () => {
    await Promise.all([plain, basic, tls].filter(Boolean).map((r) => r.stop()));
  });

  it('lists every tag across Link-paginated pages of a plain-HTTP registry', async () => {
    const client = new RegistryClient({ access: () => ({ tlsVerify: false }), tagPageSize: 2 });
    const tags = await client.listTags({ registry: plain.host, repository: 'team/app' });
    assert.deepEqual(tags?.sort(), ['latest', 'v1.0.0', 'v1.1.0', 'v1.2.0', 'v2.0.0-rc1']);
    assert.equal(await client.listTags({ registry: plain.host, repository: 'team/none' }), undefined);
  });

  it('reads the same manifest digests as the registry, for a single image and an image index', async () => {
    const client = new RegistryClient({ access: () => ({ tlsVerify: false }) });
    const repo = { registry: plain.host, repository: 'team/multi' };
    assert.equal(await client.manifestDigest(repo, 'v1'), await manifestDigest(plain, 'team/multi', 'v1'));
    assert.equal(await client.manifestDigest(repo, 'nope'), undefined);
    const arm = await client.platformDigest(repo, 'v1', { os: 'linux', architecture: 'arm64' });
    assert.match(arm ?? '', /^sha256:/);
    assert.notEqual(arm, await client.manifestDigest(repo, 'v1'));
  });

  it('answers a Basic challenge with the registry credential, and explains a refusal without it', async () => {
    const repo = { registry: basic.host, repository: 'team/app' };
    const withCreds = new RegistryClient({ access: () => ({ tlsVerify: false, credential: auth }) });
    assert.equal(
      await withCreds.manifestDigest(repo, 'v1.0.0'),
      await manifestDigest(basic, 'team/app', 'v1.0.0'),
    );
    const anonymous = new RegistryClient({ access: () => ({ tlsVerify: false }) });
    await assert.rejects(
      anonymous.listTags(repo),
      registryRefusal(/HTTP 401 \(check the credentials Secret/, 'AuthenticationFailed', false),
    );
  });

  it('verifies TLS with the registry CA, and refuses the self-signed certificate without it', async () => {
    const repo = { registry: tls.host, repository: 'team/app' };
    const ca = readFileSync(tls.caFile!, 'utf8');
    const trusting = new RegistryClient({ access: () => ({ ca }) });
    assert.deepEqual(await trusting.listTags(repo), ['v1.0.0']);
    const strict = new RegistryClient();
    await assert.rejects(
      strict.listTags(repo),
      registryRefusal(/self[- ]signed|certificate/i, 'TlsUntrusted', false),
    );
    const lax = new RegistryClient({ access: () => ({ tlsVerify: false }) });
    assert.deepEqual(await lax.listTags(repo), ['v1.0.0']);
  });

  describe('bearer tokens', () => {
    let tokens: TokenServer;
    before(async () => {
      tokens = await startTokenServer(plain, 'bob', 'builder');
    });
    after(() => tokens.close());

    it('fetches a token from the realm with basic credentials, retries, and reuses the token', async () => {
      tokens.requests.length = 0;
      const client = new RegistryClient({
        access: () => ({ tlsVerify: false, credential: { username: 'bob', password: 'builder' } }),
      });
      const repo = { registry: tokens.host, repository: 'team/app' };
      const tags = await client.listTags(repo);
      assert.equal(tags?.length, 5);
      assert.equal(
        await client.manifestDigest(repo, 'v1.0.0'),
        await manifestDigest(plain, 'team/app', 'v1.0.0'),
      );
      assert.deepEqual(tokens.requests, [
        'GET /v2/team/app/tags/list',
        'GET /token [Basic]',
        'GET /v2/team/app/tags/list [Bearer]',
        'HEAD /v2/team/app/manifests/v1.0.0 [Bearer]',
      ]);
    });

    it('reports a refused token request with a hint about the credentials', async () => {
      const client = new RegistryClient({
        access: () => ({ tlsVerify: false, credential: { username: 'bob', password: 'wrong' } }),
      });
      await assert.rejects(
        client.listTags({ registry: tokens.host, repository: 'team/app' }),
        registryRefusal(/token endpoint .* HTTP 401/, 'AuthenticationFailed', false),
      );
    });

    it('waits for Retry-After on 429 and gives up after the bounded retries', async () => {
      const client = new RegistryClient({
        access: () => ({ tlsVerify: false, credential: { username: 'bob', password: 'builder' } }),
        maxRetries: 2,
      });
      const repo = { registry: tokens.host, repository: 'team/app' };
      tokens.throttle(2, '1');
      // On a fake clock (timers and Date; sockets stay real): each retry waits for its Retry-After second.
      const clock = FakeTimers.install({
        toFake: ['setTimeout', 'clearTimeout', 'Date'],
        shouldClearNativeTimers: true,
      });
      try {
        const seen = tokens.requests.length;
        const asked = () => tokens.requests.length - seen;
        const turn = () => new Promise((resolve) => setImmediate(resolve));
        const until = async (check: () => boolean, what: string) => {
          for (let i = 0; i < 100_000 && !check(); i++) await turn();
          assert.ok(check(), what);
        };
        const listing = client.listTags(repo);
        await until(() => asked() === 1, 'the first request');
        for (const n of [1, 2]) {
          await clock.tickAsync(999);
          for (let i = 0; i < 50; i++) await turn();
          assert.equal(asked(), n, `no retry ${n} before its Retry-After second`);
          await clock.tickAsync(1);
          await until(() => asked() > n, `retry ${n} once its Retry-After second is over`);
        }
        assert.equal((await listing)?.length, 5);
      } finally {
        clock.uninstall();
      }
      tokens.throttle(3, '0');
      await assert.rejects(
        client.listTags(repo),
        registryRefusal(/HTTP 429 \(rate limited/, 'RateLimited', true),
      );
    });
  });
});
