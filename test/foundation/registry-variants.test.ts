import assert from 'node:assert/strict';
import { pushTestImage, writeOciLayout } from '../support/oci-image.js';
import { liveTrackedPids, runCommand } from '../support/processes.js';
import {
  listTags,
  manifestDigest,
  registryRequest,
  type StartRegistryOptions,
  startRegistry,
  type TestRegistry,
} from '../support/registry.js';
import { makeTempDir } from '../support/tmp.js';

/** Pushes a fresh test image with exactly the given skopeo destination flags. */
async function skopeoPush(registry: TestRegistry, repo: string, tag: string, flags: string[]): Promise<void> {
  const dir = makeTempDir('variant-layout');
  writeOciLayout(dir, { tag });
  await runCommand('skopeo', [
    'copy',
    '--all',
    ...flags,
    `oci:${dir}:${tag}`,
    `docker://${registry.host}/${repo}:${tag}`,
  ]);
}

describe('registry variants', function () {
  this.timeout(60_000);
  const started: TestRegistry[] = [];
  const pids: number[] = [];

  const registry = async (opts: StartRegistryOptions = {}): Promise<TestRegistry> => {
    const r = await startRegistry(opts);
    started.push(r);
    pids.push(r.pid);
    return r;
  };

  afterEach(async () => {
    // Proxies first: they were started after (and depend on) their upstreams.
    for (const r of started.splice(0).reverse()) await r.stop();
  });
  after(() => {
    assert.deepEqual(liveTrackedPids(pids), []);
  });

  describe('basic auth', () => {
    const auth = { username: 'pusher', password: 'pa55word' };

    it('answers /v2/ with 401 and a Basic challenge without credentials, 200 with them', async () => {
      const secured = await registry({ auth });
      const anonymous = await registryRequest(secured, 'GET', '/v2/', {}, false);
      assert.equal(anonymous.status, 401);
      assert.match(String(anonymous.headers['www-authenticate']), /^Basic realm="test-registry"/);
      assert.equal((await registryRequest(secured, 'GET', '/v2/')).status, 200);
    });

    it('refuses a skopeo push without creds and accepts it with --dest-creds', async () => {
      const secured = await registry({ auth });
      await assert.rejects(
        skopeoPush(secured, 'app', 'v1', ['--dest-tls-verify=false']),
        /unauthorized|authentication required/i,
      );
      await skopeoPush(secured, 'app', 'v1', [
        '--dest-tls-verify=false',
        '--dest-creds',
        `${auth.username}:${auth.password}`,
      ]);
      assert.deepEqual(await listTags(secured, 'app'), ['v1']);
      assert.match(await manifestDigest(secured, 'app', 'v1'), /^sha256:[0-9a-f]{64}$/);
    });
  });

  describe('TLS with a self-signed certificate', () => {
    it('accepts a skopeo push that trusts the CA through --dest-cert-dir', async () => {
      const secure = await registry({ tls: true });
      assert.ok(secure.url.startsWith('https://127.0.0.1:'));
      await skopeoPush(secure, 'app', 'v1', ['--dest-cert-dir', secure.certDir!]);
      // Node reaches it through caFile.
      assert.match(await manifestDigest(secure, 'app', 'v1'), /^sha256:/);
    });

    it('refuses a verifying skopeo push without the CA', async () => {
      const secure = await registry({ tls: true });
      await assert.rejects(skopeoPush(secure, 'app', 'v1', ['--dest-tls-verify=true']), /certificate|x509/i);
      assert.deepEqual(await listTags(secure, 'app'), []);
    });
  });

  describe('pull-through cache', () => {
    it('serves an image of a TLS upstream by tag with the same digest, trusting it via SSL_CERT_FILE', async () => {
      const upstream = await registry({ tls: true });
      const digest = await pushTestImage(upstream, 'library/app', 'v2', {
        architectures: ['amd64', 'arm64'],
      });
      const mirror = await registry({
        proxyRemoteUrl: upstream.url,
        proxyEnv: { SSL_CERT_FILE: upstream.caFile! },
      });
      assert.equal(await manifestDigest(mirror, 'library/app', 'v2'), digest);
      await runCommand('skopeo', [
        'copy',
        '--all',
        '--src-tls-verify=false',
        `docker://${mirror.host}/library/app:v2`,
        `dir:${makeTempDir('mirror-pull')}`,
      ]);
    });
  });
});
