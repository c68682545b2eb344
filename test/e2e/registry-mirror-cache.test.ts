import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { DEFAULT_SETTINGS } from '../../src/config/settings.js';
import type { KubeObject } from '../../src/core/kube-object.js';
import { registryMirrorKind } from '../../src/kinds/registry-mirror/index.js';
import type { RegistryMirrorSpec } from '../../src/kinds/registry-mirror/types.js';
import { selfSignedCa, signedCertificate } from '../support/certs.js';
import { pushTestImage } from '../support/oci-image.js';
import { runCommand, spawnTracked, stopTracked, waitFor } from '../support/processes.js';
import {
  freePort,
  manifestDigest,
  registryRequest,
  startRegistry,
  type TestRegistry,
} from '../support/registry.js';
import { makeTempDir, removeTempDir } from '../support/tmp.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read nested fields of rendered and stored objects
type Loose = any;

function render(spec: RegistryMirrorSpec, name = 'hub'): Array<KubeObject & Loose> {
  return registryMirrorKind.render(
    {
      key: `RegistryMirror/${name}`,
      kind: 'RegistryMirror',
      name,
      namespace: 'mirrors',
      spec,
      origin: {
        file: 'mirror.yaml',
        line: 1,
        apiVersion: 'image-gitops.io/v1alpha1',
        kind: 'RegistryMirror',
      },
    },
    {
      namespace: 'default',
      settings: DEFAULT_SETTINGS,
      commit: { sha: 'd'.repeat(40), author: 'e2e', date: '2026-01-01T00:00:00Z', message: 'e2e' },
      live: [],
      observed: undefined,
    },
  ) as Array<KubeObject & Loose>;
}

/** Starts `docker-registry` with the rendered config.yml, only addr, storage path and upstream made local. */
async function startRenderedMirror(
  configYaml: string,
  upstreamUrl: string,
  root: string,
): Promise<TestRegistry> {
  const config = parse(configYaml);
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  config.http.addr = host;
  config.storage.filesystem.rootdirectory = join(root, 'storage');
  config.proxy.remoteurl = upstreamUrl;
  const configPath = join(root, 'config.yml');
  writeFileSync(configPath, stringify(config));
  const output: string[] = [];
  const child = spawnTracked('docker-registry', ['serve', configPath]);
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const mirror: TestRegistry = {
    host,
    url: `http://${host}`,
    storageDir: join(root, 'storage'),
    pid: child.pid ?? -1,
    logs: () => output.join(''),
    stop: () => stopTracked(child),
  };
  await waitFor(async () => (await registryRequest(mirror, 'GET', '/')).status === 200, {
    timeoutMs: 15_000,
    what: `rendered mirror on ${host}`,
  }).catch((error: Error) => {
    throw new Error(`${error.message}\n${mirror.logs()}`);
  });
  return mirror;
}

describe('RegistryMirror as a real pull-through cache', function () {
  this.timeout(120_000);
  let upstream: TestRegistry | undefined;
  let mirror: TestRegistry | undefined;
  let root: string;

  before(() => {
    root = makeTempDir('mirror-e2e');
  });

  after(async () => {
    await mirror?.stop();
    await upstream?.stop();
    removeTempDir(root);
  });

  it('serves an upstream image with the same digest, and keeps serving it by digest and tag once the upstream is gone', async () => {
    upstream = await startRegistry();
    const pushed = await pushTestImage(upstream, 'team/app', 'v1', { architectures: ['amd64', 'arm64'] });
    const configMap = render({ upstreamUrl: upstream.url }).find((o) => o.kind === 'ConfigMap')!;
    mirror = await startRenderedMirror(configMap.data['config.yml'], upstream.url, root);

    assert.equal(await manifestDigest(mirror, 'team/app', 'v1'), pushed);
    // A full pull through the mirror caches every manifest and blob.
    const first = join(root, 'pull-1');
    await runCommand('skopeo', [
      'copy',
      '--all',
      '--src-tls-verify=false',
      `docker://${mirror.host}/team/app:v1`,
      `oci:${first}:v1`,
    ]);
    assert.equal(JSON.parse(readFileSync(join(first, 'index.json'), 'utf8')).manifests.length, 1);

    // The proxy stores what it served with a second, background fetch from the upstream: wait until the
    // cache holds every blob of the pull before taking the upstream away.
    const digests = readdirSync(join(first, 'blobs', 'sha256'));
    const repoDir = join(mirror.storageDir, 'docker', 'registry', 'v2', 'repositories', 'team', 'app');
    await waitFor(
      () =>
        digests.every(
          (hex) =>
            existsSync(join(repoDir, '_layers', 'sha256', hex, 'link')) ||
            existsSync(join(repoDir, '_manifests', 'revisions', 'sha256', hex, 'link')),
        ),
      { what: 'the mirror to store every blob it served' },
    );
    await upstream.stop();
    upstream = undefined;
    assert.equal(await manifestDigest(mirror, 'team/app', pushed), pushed);
    assert.equal(await manifestDigest(mirror, 'team/app', 'v1'), pushed);
    const second = join(root, 'pull-2');
    await runCommand('skopeo', [
      'copy',
      '--all',
      '--preserve-digests',
      '--src-tls-verify=false',
      `docker://${mirror.host}/team/app@${pushed}`,
      `oci:${second}:v1`,
    ]);
    const index = JSON.parse(readFileSync(join(second, 'index.json'), 'utf8'));
    assert.equal(index.manifests[0].digest, pushed);
  });
});

interface ScriptRun {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

function runScript(script: string, env: Record<string, string>): ScriptRun {
  const output: string[] = [];
  // busybox sh, as in the node-config image.
  const child = spawnTracked('busybox', ['sh', '-c', script], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
  });
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output.join(''), exit };
}

function nodeContainer(spec: RegistryMirrorSpec): { main: string; preStop: string } {
  const ds = render(spec).find((o) => o.kind === 'DaemonSet')!;
  const container = ds.spec.template.spec.containers[0];
  return { main: container.command[2], preStop: container.lifecycle.preStop.exec.command[2] };
}

describe('RegistryMirror node configuration script', function () {
  this.timeout(30_000);
  let certsDir: string;

  beforeEach(() => {
    certsDir = makeTempDir('certs-d');
  });

  afterEach(() => removeTempDir(certsDir));

  it('writes docker.io/hosts.toml pointing at the mirror, and removes it and its folder on TERM', async () => {
    const run = runScript(nodeContainer({ upstreamUrl: 'docker.io' }).main, {
      CERTS_DIR: certsDir,
      MIRROR_ADDRESS: '10.96.0.20',
    });
    const file = join(certsDir, 'docker.io', 'hosts.toml');
    await waitFor(() => run.output().includes('wrote'), {
      what: `hosts.toml written; output: ${run.output()}`,
    });
    assert.equal(
      readFileSync(file, 'utf8'),
      [
        '# written by image-gitops for RegistryMirror mirrors/hub; removed when its node-config pod stops',
        'server = "https://registry-1.docker.io"',
        '',
        '[host."http://10.96.0.20:5000"]',
        '  capabilities = ["pull", "resolve"]',
        '',
      ].join('\n'),
    );
    run.child.kill('SIGTERM');
    assert.equal(await run.exit, 0, run.output());
    assert.equal(existsSync(file), false);
    assert.equal(existsSync(join(certsDir, 'docker.io')), false);
  });

  it("keeps a node's own hosts.toml aside and puts it back on TERM", async () => {
    const dir = join(certsDir, 'quay.io');
    mkdirSync(dir);
    writeFileSync(join(dir, 'hosts.toml'), 'server = "https://quay.io"\n');
    const run = runScript(nodeContainer({ upstreamUrl: 'quay.io' }).main, {
      CERTS_DIR: certsDir,
      MIRROR_ADDRESS: 'fd00::20',
    });
    await waitFor(() => run.output().includes('wrote'), { what: 'hosts.toml written' });
    assert.match(readFileSync(join(dir, 'hosts.toml'), 'utf8'), /\[host\."http:\/\/\[fd00::20\]:5000"\]/);
    run.child.kill('SIGTERM');
    assert.equal(await run.exit, 0, run.output());
    assert.equal(readFileSync(join(dir, 'hosts.toml'), 'utf8'), 'server = "https://quay.io"\n');
    assert.equal(existsSync(join(dir, 'hosts.toml.image-gitops-backup')), false);
  });

  it("copies a TLS mirror's certificate next to hosts.toml for containerd to trust, and removes both", async () => {
    const tlsDir = join(certsDir, 'tls-secret');
    mkdirSync(tlsDir);
    writeFileSync(join(tlsDir, 'tls.crt'), 'CERTIFICATE\n');
    const run = runScript(nodeContainer({ upstreamUrl: 'quay.io', tls: { secretName: 'mirror-tls' } }).main, {
      CERTS_DIR: certsDir,
      MIRROR_ADDRESS: '10.96.0.23',
      TLS_DIR: tlsDir,
    });
    await waitFor(() => run.output().includes('wrote'), {
      what: `hosts.toml written; output: ${run.output()}`,
    });
    const dir = join(certsDir, 'quay.io');
    assert.equal(readFileSync(join(dir, 'registry-mirror-hub-ca.crt'), 'utf8'), 'CERTIFICATE\n');
    assert.match(
      readFileSync(join(dir, 'hosts.toml'), 'utf8'),
      /\[host\."https:\/\/10\.96\.0\.23:443"\]\n {2}capabilities = \["pull", "resolve"\]\n {2}ca = "\/etc\/containerd\/certs\.d\/quay\.io\/registry-mirror-hub-ca\.crt"\n$/,
    );
    run.child.kill('SIGTERM');
    assert.equal(await run.exit, 0, run.output());
    assert.equal(existsSync(dir), false);
  });

  it('cleans up from the preStop hook while the main script still runs', async () => {
    const { main, preStop } = nodeContainer({ upstreamUrl: 'registry.example.com:5000' });
    const env = { CERTS_DIR: certsDir, MIRROR_ADDRESS: '10.96.0.21' };
    const run = runScript(main, env);
    await waitFor(() => run.output().includes('wrote'), { what: 'hosts.toml written' });
    assert.ok(existsSync(join(certsDir, 'registry.example.com:5000', 'hosts.toml')));
    await runCommand('busybox', ['sh', '-c', preStop], { env: { PATH: process.env.PATH ?? '', ...env } });
    assert.equal(existsSync(join(certsDir, 'registry.example.com:5000')), false);
    run.child.kill('SIGTERM');
    assert.equal(await run.exit, 0, run.output());
  });

  it('exits non-zero, writing nothing, when Kubernetes could not expand the Service address', async () => {
    const run = runScript(nodeContainer({ upstreamUrl: 'docker.io' }).main, {
      CERTS_DIR: certsDir,
      MIRROR_ADDRESS: '$(REGISTRY_MIRROR_HUB_SERVICE_HOST)',
    });
    assert.equal(await run.exit, 1);
    assert.match(run.output(), /address is not known yet/);
    assert.equal(existsSync(join(certsDir, 'docker.io')), false);
  });

  it("adds and removes the masquerade line in /etc/hosts and the mirror's CA for Docker and containerd (mirror-operator's hosts mode)", async () => {
    const hostsFile = join(certsDir, 'hosts');
    const original = '127.0.0.1 localhost\n10.0.0.1 node-1\n';
    writeFileSync(hostsFile, original);
    const tlsDir = join(certsDir, 'tls');
    const dockerCerts = join(certsDir, 'docker-certs.d');
    const containerdCerts = join(certsDir, 'containerd-certs.d');
    mkdirSync(tlsDir);
    mkdirSync(dockerCerts);
    mkdirSync(containerdCerts);
    writeFileSync(join(tlsDir, 'tls.crt'), 'CERTIFICATE OF mirror-registry.my.org\n');
    const spec: RegistryMirrorSpec = {
      upstreamUrl: 'registry.my.org',
      nodeConfig: 'hosts',
      tls: { secretName: 'mirror-tls' },
    };
    const run = runScript(nodeContainer(spec).main, {
      HOSTS_FILE: hostsFile,
      MIRROR_ADDRESS: '10.96.0.22',
      TLS_DIR: tlsDir,
      DOCKER_CERTS_DIR: dockerCerts,
      CERTS_DIR: containerdCerts,
    });
    await waitFor(() => run.output().includes('pointed'), {
      what: `hosts line written; output: ${run.output()}`,
    });
    assert.equal(
      readFileSync(hostsFile, 'utf8'),
      `${original}# BEGIN image-gitops RegistryMirror mirrors/hub\n10.96.0.22 mirror-registry.my.org\n# END image-gitops RegistryMirror mirrors/hub\n`,
    );
    // Where Docker (certs.d/<name>/*.crt) and containerd (its per-host folder) look for the name's CA.
    for (const root of [dockerCerts, containerdCerts]) {
      assert.deepEqual(readdirSync(join(root, 'mirror-registry.my.org')), ['image-gitops-mirrors-hub.crt']);
      assert.equal(
        readFileSync(join(root, 'mirror-registry.my.org', 'image-gitops-mirrors-hub.crt'), 'utf8'),
        'CERTIFICATE OF mirror-registry.my.org\n',
      );
    }
    run.child.kill('SIGTERM');
    assert.equal(await run.exit, 0, run.output());
    assert.equal(readFileSync(hostsFile, 'utf8'), original);
    assert.deepEqual(readdirSync(dockerCerts), []);
    assert.deepEqual(readdirSync(containerdCerts), []);
  });
});

describe("mirror-operator's hostess mode, served for real", function () {
  this.timeout(120_000);
  let upstream: TestRegistry | undefined;
  let mirror: ChildProcess | undefined;
  let root: string;

  before(() => {
    root = makeTempDir('hostess-e2e');
  });

  after(async () => {
    if (mirror) await stopTracked(mirror);
    await upstream?.stop();
    removeTempDir(root);
  });

  it('serves the masquerade name over TLS with the operator certificate, which the node script installs for Docker', async () => {
    upstream = await startRegistry();
    const pushed = await pushTestImage(upstream, 'team/app', 'v1');
    // The operator's DOCKER_CERTIFICATE_SECRET: a certificate for the masquerade name, and its CA.
    const tlsDir = join(root, 'tls');
    mkdirSync(tlsDir);
    selfSignedCa(tlsDir, 'mirror CA');
    const pair = signedCertificate(
      tlsDir,
      'tls',
      '/CN=mirror-registry.test',
      'subjectAltName=DNS:mirror-registry.test,IP:127.0.0.1',
    );
    const objects = registryMirrorKind.render(
      {
        key: 'RegistryMirror/hub',
        kind: 'RegistryMirror',
        name: 'hub',
        namespace: 'mirrors',
        spec: { upstreamUrl: upstream.url, nodeConfig: 'hosts', masqueradeUrl: 'mirror-registry.test' },
        origin: { file: 'mirror.yaml', line: 1, apiVersion: 'k8s.osp.tech/v1', kind: 'RegistryMirror' },
      },
      {
        namespace: 'default',
        settings: { ...DEFAULT_SETTINGS, registryMirror: { tlsSecretName: 'mirror-tls' } },
        commit: { sha: 'd'.repeat(40), author: 'e2e', date: '2026-01-01T00:00:00Z', message: 'e2e' },
        live: [],
        observed: undefined,
      },
    ) as Array<KubeObject & Loose>;

    // The registry with the rendered config.yml: only addr, storage, upstream and the Secret's mount made local.
    const config = parse(objects.find((o) => o.kind === 'ConfigMap')!.data['config.yml']);
    const port = await freePort();
    config.http.addr = `127.0.0.1:${port}`;
    config.http.tls = { certificate: pair.cert, key: pair.key };
    config.storage.filesystem.rootdirectory = join(root, 'storage');
    config.proxy.remoteurl = upstream.url;
    writeFileSync(join(root, 'config.yml'), stringify(config));
    const output: string[] = [];
    mirror = spawnTracked('docker-registry', ['serve', join(root, 'config.yml')]);
    mirror.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));

    // The node DaemonSet's script, with the Secret mounted as the pod mounts it.
    const dockerCerts = join(root, 'docker-certs.d');
    const containerdCerts = join(root, 'containerd-certs.d');
    mkdirSync(dockerCerts);
    mkdirSync(containerdCerts);
    const hostsFile = join(root, 'hosts');
    writeFileSync(hostsFile, '127.0.0.1 localhost\n');
    const ds = objects.find((o) => o.kind === 'DaemonSet')!;
    const run = runScript(ds.spec.template.spec.containers[0].command[2], {
      HOSTS_FILE: hostsFile,
      MIRROR_ADDRESS: '127.0.0.1',
      TLS_DIR: tlsDir,
      DOCKER_CERTS_DIR: dockerCerts,
      CERTS_DIR: containerdCerts,
    });
    await waitFor(() => run.output().includes('pointed'), { what: `node script; output: ${run.output()}` });
    assert.match(readFileSync(hostsFile, 'utf8'), /^127\.0\.0\.1 mirror-registry\.test$/m);

    // A client that trusts only what the script installed for the name (Docker's certs.d layout).
    const certDir = join(dockerCerts, 'mirror-registry.test');
    const inspect = () =>
      runCommand('skopeo', [
        'inspect',
        '--raw',
        '--cert-dir',
        certDir,
        `docker://127.0.0.1:${port}/team/app:v1`,
      ]);
    await waitFor(
      async () => {
        try {
          await inspect();
          return true;
        } catch {
          return false;
        }
      },
      { timeoutMs: 20_000, what: `the mirror over TLS; registry log: ${output.join('')}` },
    );
    assert.equal(await manifestDigestOver(port, certDir), pushed);
    // and without that CA the same client refuses the mirror: it really is TLS, with that certificate.
    await assert.rejects(
      runCommand('skopeo', ['inspect', '--raw', `docker://127.0.0.1:${port}/team/app:v1`]),
    );
    run.child.kill('SIGTERM');
    assert.equal(await run.exit, 0, run.output());
    assert.deepEqual(readdirSync(dockerCerts), []);
  });
});

/** The digest skopeo reads through the TLS mirror, trusting only the CA files in certDir. */
async function manifestDigestOver(port: number, certDir: string): Promise<string> {
  const out = await runCommand('skopeo', [
    'inspect',
    '--format',
    '{{.Digest}}',
    '--cert-dir',
    certDir,
    `docker://127.0.0.1:${port}/team/app:v1`,
  ]);
  return out.stdout.trim();
}
