// The registry client against hostile registries: small Node servers on loopback that trickle bytes, point
// their token realm at another port, another host or plain HTTP, redirect elsewhere, ask to wait a minute,
// or answer bodies of the wrong shape. What is asserted is what reaches the hostile servers (never a
// credential where it does not belong) and that each call ends with a message saying why.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { DEFAULT_SETTINGS } from '../../../src/config/settings.js';
import { observeImageSync } from '../../../src/kinds/image-sync/observe.js';
import type { ImageSyncSpec } from '../../../src/kinds/image-sync/spec.js';
import type { ObserveContext } from '../../../src/kinds/types.js';
import type { Manifest } from '../../../src/manifests/types.js';
import { RegistryClient } from '../../../src/registry/client.js';
import {
  DEFAULT_REGISTRY_LIMITS,
  parseTokenHosts,
  type RegistryLimits,
  registryPolicy,
} from '../../../src/registry/limits.js';
import { selfSignedCa, signedCertificate } from '../../support/certs.js';
import { makeTempDir } from '../../support/tmp.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, server: Hostile) => void;

interface Seen {
  method: string;
  path: string;
  authorization?: string;
}

interface Hostile {
  /** `127.0.0.1:<port>` (or the address it listens on). */
  host: string;
  port: number;
  seen: Seen[];
  handler: Handler;
  close(): Promise<void>;
}

const sockets = new Set<import('node:net').Socket>();

/** A loopback HTTP(S) server that records every request and answers with the current handler. */
async function hostileServer(
  handler: Handler,
  options: { address?: string; tls?: { key: string; cert: string } } = {},
): Promise<Hostile> {
  const state: Hostile = {
    host: '',
    port: 0,
    seen: [],
    handler,
    close: async () => {},
  };
  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const seen: Seen = { method: req.method ?? '', path: req.url ?? '' };
    if (req.headers.authorization) seen.authorization = req.headers.authorization;
    state.seen.push(seen);
    state.handler(req, res, state);
  };
  const server = options.tls
    ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, listener)
    : http.createServer(listener);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const address = options.address ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  state.port = (server.address() as AddressInfo).port;
  state.host = `${address}:${state.port}`;
  state.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    });
  return state;
}

const DIGEST = `sha256:${'a'.repeat(64)}`;
const creds = { username: 'puller', password: 's3cret-never-leaves' };
const basic = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;

/** A registry that demands a bearer token from `realm` and serves a tag list to the token it issues. */
function bearerRegistry(realm: () => string): Handler {
  return (req, res) => {
    if (req.headers.authorization !== 'Bearer good-token') {
      res.writeHead(401, {
        'WWW-Authenticate': `Bearer realm="${realm()}",service="hostile",scope="repository:team/app:pull"`,
      });
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"name":"team/app","tags":["v1"]}');
  };
}

/** A token service that issues a token to anyone (and records who sent what). */
const tokenService: Handler = (_req, res) => {
  res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"token":"good-token","expires_in":300}');
};

function limits(overrides: Partial<RegistryLimits> = {}): RegistryLimits {
  return { ...DEFAULT_REGISTRY_LIMITS, ...overrides };
}

function client(options: {
  tlsVerify?: boolean;
  ca?: string;
  credential?: boolean;
  limits?: Partial<RegistryLimits>;
}): RegistryClient {
  return new RegistryClient({
    access: () => ({
      ...(options.tlsVerify === false ? { tlsVerify: false } : {}),
      ...(options.ca ? { ca: options.ca } : {}),
      ...(options.credential === false ? {} : { credential: creds }),
    }),
    policy: registryPolicy(limits(options.limits)),
  });
}

const repo = (host: string) => ({ registry: host, repository: 'team/app' });

describe('registry client against hostile registries', function () {
  this.timeout(60_000);
  const servers: Hostile[] = [];
  const start = async (...args: Parameters<typeof hostileServer>) => {
    const server = await hostileServer(...args);
    servers.push(server);
    return server;
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
    for (const socket of sockets) socket.destroy();
  });

  describe('deadlines', () => {
    it('cuts off a registry that trickles its body one byte every 5 s, at the request deadline', async () => {
      const trickle = await start((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        const body = '{"name":"team/app","tags":["v1"]}';
        let i = 0;
        res.write(body[i++]);
        const timer = setInterval(() => {
          if (i >= body.length || res.destroyed) {
            clearInterval(timer);
            res.end();
          } else res.write(body[i++]);
        }, 5000);
        res.on('close', () => clearInterval(timer));
      });
      const slow = client({ tlsVerify: false, credential: false, limits: { requestTimeoutMs: 1500 } });
      await assert.rejects(
        slow.listTags(repo(trickle.host)),
        /no complete answer within 1\.5 s \(request deadline, REGISTRY_REQUEST_TIMEOUT_SECONDS\)/,
      );
    });

    it('cuts off a registry that accepts the request and never answers', async () => {
      const silent = await start(() => {});
      const slow = client({ tlsVerify: false, credential: false, limits: { requestTimeoutMs: 1000 } });
      await assert.rejects(slow.manifestDigest(repo(silent.host), 'v1'), /no complete answer within 1 s/);
    });

    it('stops at once when the sync signal aborts', async () => {
      const silent = await start(() => {});
      const controller = new AbortController();
      const c = new RegistryClient({ access: () => ({ tlsVerify: false }), signal: controller.signal });
      setTimeout(() => controller.abort(new Error('the sync deadline of 1 s passed')), 300);
      await assert.rejects(c.listTags(repo(silent.host)), /the sync deadline of 1 s passed/);
    });
  });

  describe('credentials and token realms', () => {
    it('never sends credentials to a token realm on another port of the same address', async () => {
      const tokens = await start(tokenService);
      const registry = await start(bearerRegistry(() => `http://${tokens.host}/token`));
      // Even with the registry marked insecure (plain HTTP allowed), the realm is not the registry's host.
      const c = client({ tlsVerify: false });
      assert.deepEqual(await c.listTags(repo(registry.host)), ['v1'], 'an anonymous token still works');
      assert.ok(tokens.seen.length > 0, 'the token service was asked');
      assert.deepEqual(
        tokens.seen.map((s) => s.authorization),
        [undefined],
        'no Authorization reached the other port',
      );
      assert.ok(!registry.seen.some((s) => s.authorization === basic));
    });

    it('never sends credentials to a token realm on another host, and says why when the registry refuses', async () => {
      const tokens = await start((_req, res) => res.writeHead(401).end(), { address: '127.0.0.2' });
      const registry = await start(bearerRegistry(() => `http://${tokens.host}/token`));
      const c = client({ tlsVerify: false });
      await assert.rejects(
        c.listTags(repo(registry.host)),
        /credentials withheld from the token service http:\/\/127\.0\.0\.2:\d+: it is not 127\.0\.0\.1:\d+'s own host \(an operator can allow it with REGISTRY_TOKEN_HOSTS\)/,
      );
      assert.equal(tokens.seen.length, 1);
      assert.equal(tokens.seen[0]?.authorization, undefined);
    });

    it('sends credentials to an allow-listed token host, but over plain HTTP only for an insecure registry', async () => {
      const dir = makeTempDir('hostile-tls');
      const ca = selfSignedCa(dir, 'hostile-ca');
      const pair = signedCertificate(
        dir,
        'registry',
        '/CN=127.0.0.1',
        'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth',
      );
      const tls = { key: readFileSync(pair.key, 'utf8'), cert: readFileSync(pair.cert, 'utf8') };
      const tokens = await start(tokenService);
      const tokenHosts = parseTokenHosts(tokens.host);

      // Verified TLS registry, allow-listed realm over plain HTTP: withheld.
      const secure = await start(
        bearerRegistry(() => `http://${tokens.host}/token`),
        { tls },
      );
      assert.deepEqual(await client({ ca, limits: { tokenHosts } }).listTags(repo(secure.host)), ['v1']);
      assert.deepEqual(
        tokens.seen.map((s) => s.authorization),
        [undefined],
        'plain HTTP to a registry that is not insecure: no credentials',
      );

      // The same realm for a registry marked insecure (tlsVerify: false): the operator allowed it.
      tokens.seen.length = 0;
      const insecure = await start(bearerRegistry(() => `http://${tokens.host}/token`));
      await client({ tlsVerify: false, limits: { tokenHosts } }).listTags(repo(insecure.host));
      assert.deepEqual(
        tokens.seen.map((s) => s.authorization),
        [basic],
      );

      // Without the allow-list: withheld again.
      tokens.seen.length = 0;
      await client({ tlsVerify: false }).listTags(repo(insecure.host));
      assert.deepEqual(
        tokens.seen.map((s) => s.authorization),
        [undefined],
      );
    });

    it('sends credentials to a token realm on the registry itself (the Harbor, GHCR and Quay layout)', async () => {
      const registry = await start((req, res, self) => {
        if (req.url?.startsWith('/token')) return tokenService(req, res, self);
        return bearerRegistry(() => `http://${self.host}/token`)(req, res, self);
      });
      assert.deepEqual(await client({ tlsVerify: false }).listTags(repo(registry.host)), ['v1']);
      assert.deepEqual(
        registry.seen.filter((s) => s.path.startsWith('/token')).map((s) => s.authorization),
        [basic],
      );
    });

    it('drops credentials when the token service redirects to another port', async () => {
      const elsewhere = await start(tokenService);
      const registry = await start((req, res, self) => {
        if (req.url?.startsWith('/token')) {
          res.writeHead(307, { Location: `http://${elsewhere.host}${req.url}` }).end();
          return;
        }
        return bearerRegistry(() => `http://${self.host}/token`)(req, res, self);
      });
      assert.deepEqual(await client({ tlsVerify: false }).listTags(repo(registry.host)), ['v1']);
      assert.deepEqual(
        registry.seen.filter((s) => s.path.startsWith('/token')).map((s) => s.authorization),
        [basic],
        'the registry host got them',
      );
      assert.deepEqual(
        elsewhere.seen.map((s) => s.authorization),
        [undefined],
        'the redirect target did not',
      );
    });

    it('drops the bearer token and basic credentials when the registry redirects an API call to another host', async () => {
      const elsewhere = await start((_req, res) =>
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"tags":["stolen"]}'),
      );
      const registry = await start((req, res) => {
        if (!req.headers.authorization) {
          res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="hostile"' }).end();
          return;
        }
        res.writeHead(302, { Location: `http://${elsewhere.host}/v2/team/app/tags/list` }).end();
      });
      assert.deepEqual(await client({ tlsVerify: false }).listTags(repo(registry.host)), ['stolen']);
      assert.ok(registry.seen.some((s) => s.authorization === basic));
      assert.deepEqual(
        elsewhere.seen.map((s) => s.authorization),
        [undefined],
      );
    });
  });

  describe('rate limits', () => {
    it('fails at once on 429 Retry-After: 60 instead of holding the sync for minutes', async () => {
      const throttled = await start((_req, res) => res.writeHead(429, { 'Retry-After': '60' }).end());
      await assert.rejects(
        client({ tlsVerify: false, credential: false }).listTags(repo(throttled.host)),
        /HTTP 429, Retry-After 60 s is beyond the 10 s bound \(REGISTRY_MAX_RETRY_AFTER_SECONDS\): not waited for, retried next sync/,
      );
      assert.equal(throttled.seen.length, 1, 'not retried');
    });

    it('shares one budget of waits between every call of a sync', async () => {
      const throttled = await start((_req, res) => res.writeHead(429, { 'Retry-After': '1' }).end());
      const policy = registryPolicy(limits({ retryWaitBudgetMs: 1500 }));
      const a = new RegistryClient({ access: () => ({ tlsVerify: false }), policy });
      const b = new RegistryClient({ access: () => ({ tlsVerify: false }), policy });
      await assert.rejects(
        a.listTags(repo(throttled.host)),
        /this sync's 2 s of retry waits are spent|retry waits are spent/,
      );
      // The first client used a second of the budget: the second gets no wait at all.
      await assert.rejects(
        b.listTags(repo(throttled.host)),
        /retry waits are spent \(REGISTRY_RETRY_WAIT_BUDGET_SECONDS\)/,
      );
      assert.equal(throttled.seen.length, 3, 'one retry in all');
    });
  });

  describe('answers checked by schema', () => {
    const json =
      (body: unknown, headers: Record<string, string> = {}): Handler =>
      (_req, res) =>
        res
          .writeHead(200, { 'Content-Type': 'application/json', ...headers })
          .end(typeof body === 'string' ? body : JSON.stringify(body));

    it('refuses a tag list of the wrong type instead of iterating a string', async () => {
      const hostile = await start(json({ tags: 'abc' }));
      await assert.rejects(
        client({ tlsVerify: false, credential: false }).listTags(repo(hostile.host)),
        /list tags of 127\.0\.0\.1:\d+\/team\/app: the tag list is not valid \(\/tags must be null\b|\/tags must be array/,
      );
    });

    it('refuses tags that are not strings, and skips strings that are not valid tags, naming them', async () => {
      const numbers = await start(json({ tags: ['v1', 5] }));
      await assert.rejects(
        client({ tlsVerify: false, credential: false }).listTags(repo(numbers.host)),
        /the tag list is not valid/,
      );
      const odd = await start(
        json({ tags: ['v1', 'a b', 'x;rm -rf', '`id`', '-dash', 'v2', 'l\nf', 'x'.repeat(129)] }),
      );
      const list = await client({ tlsVerify: false, credential: false }).listTagsDetailed(repo(odd.host));
      assert.deepEqual(list?.tags, ['v1', 'v2']);
      assert.deepEqual(list?.skipped, ['a b', 'x;rm -rf', '`id`', '-dash', 'l\nf', 'x'.repeat(129)]);
    });

    it('refuses a digest header that is not a digest, an index child without a digest, and a token of the wrong type', async () => {
      const badDigest = await start(json({}, { 'Docker-Content-Digest': 'sha256:$(id)' }));
      await assert.rejects(
        client({ tlsVerify: false, credential: false }).manifestDigest(repo(badDigest.host), 'v1'),
        /Docker-Content-Digest "sha256:\$\(id\)" is not a digest: refused/,
      );
      const badIndex = await start(
        json(
          {
            mediaType: 'application/vnd.oci.image.index.v1+json',
            manifests: [{ platform: { os: 'linux' } }],
          },
          { 'Docker-Content-Digest': DIGEST },
        ),
      );
      await assert.rejects(
        client({ tlsVerify: false, credential: false }).platformDigest(repo(badIndex.host), 'v1', {
          os: 'linux',
          architecture: 'amd64',
        }),
        /the manifest is not valid \(\/manifests\/0 must have required property 'digest'\)/,
      );
      const badToken = await start((req, res, self) => {
        if (req.url?.startsWith('/token')) return json({ token: 5 })(req, res, self);
        return bearerRegistry(() => `http://${self.host}/token`)(req, res, self);
      });
      await assert.rejects(
        client({ tlsVerify: false }).listTags(repo(badToken.host)),
        /the token response is not valid/,
      );
    });
  });

  describe('ImageSync observe', () => {
    it('copies the good tags of a list with bad ones, and its status names the skipped ones', async () => {
      const source = await start((req, res) => {
        if (req.url?.includes('/tags/list')) {
          res
            .writeHead(200, { 'Content-Type': 'application/json' })
            .end(JSON.stringify({ tags: ['v1.0.0', 'v1.1.0', 'v1.2.0;reboot', 'v 1.3.0'] }));
          return;
        }
        res.writeHead(200, { 'Docker-Content-Digest': DIGEST }).end();
      });
      const destination = await start((_req, res) => res.writeHead(404).end());
      const spec: ImageSyncSpec = {
        source: { image: `${source.host}/team/app` },
        destination: { image: `${destination.host}/team/app` },
        tags: { include: ['^v1\\.'] },
        registries: [
          { host: source.host, tlsVerify: false },
          { host: destination.host, tlsVerify: false },
        ],
      };
      const manifest: Manifest<ImageSyncSpec> = {
        key: 'ImageSync/ns/app',
        kind: 'ImageSync',
        name: 'app',
        namespace: 'ns',
        spec,
        origin: { file: 'app.yaml', line: 1, apiVersion: 'image-gitops.io/v1alpha1', kind: 'ImageSync' },
      };
      const context: ObserveContext = {
        namespace: 'ns',
        settings: DEFAULT_SETTINGS,
        live: [],
        readSecret: async () => undefined,
        listObjects: async () => [],
      };
      const observed = await observeImageSync(manifest, context);
      assert.deepEqual(
        observed.pending.map((p) => p.sourceRef),
        ['v1.1.0', 'v1.0.0'],
      );
      assert.deepEqual(observed.skipped, ['v1.2.0;reboot', 'v 1.3.0']);
      assert.match(observed.message, /2 source tags skipped, not valid tags: "v1\.2\.0;reboot", "v 1\.3\.0"/);
    });
  });
});
