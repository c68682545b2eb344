// Runs the rendered ImageBuild Job's own scripts on this machine: the init step unpacks the rendered
// ConfigMap's archive with busybox tar (as the init container's image would), then the build container's
// buildah script builds and pushes to a loopback registry (vfs storage in a temp folder, chroot isolation).
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../../src/core/kube-object.js';
import { renderImageBuild } from '../../src/kinds/image-build/render.js';
import type { ImageBuildSpec } from '../../src/kinds/image-build/types.js';
import { pushTestImage } from '../support/oci-image.js';
import { runCommand } from '../support/processes.js';
import { manifestDigest, startRegistry, type TestRegistry } from '../support/registry.js';
import { makeTempDir, removeTempDir } from '../support/tmp.js';
import { buildManifest, COMMIT_A, only, podSpec, renderContext } from '../unit/image-build/fixtures.js';

interface Container {
  command: string[];
  env: Array<{ name: string; value: string }>;
}

function containerOf(job: KubeObject, init: boolean): Container {
  const pod = podSpec(job);
  const container = (
    init ? pod.initContainers?.[0] : pod.containers.find((c) => c.name === 'build')
  ) as unknown;
  return container as Container;
}

/** The container's env as the Job sets it, with the file-system locations moved into `overrides`. */
function envOf(container: Container, overrides: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
  for (const { name, value } of container.env) env[name] = value;
  return { ...env, ...overrides };
}

/** Runs the Job's init step and build step locally; returns the digest written to the termination message. */
async function runRenderedJob(objects: KubeObject[], dir: string): Promise<string> {
  const configMap = only(objects, 'ConfigMap');
  const job = only(objects, 'Job');
  const archive = join(dir, 'context.tar');
  writeFileSync(
    archive,
    Buffer.from((configMap.binaryData as Record<string, string>)['context.tar'] as string, 'base64'),
  );
  const workspace = join(dir, 'workspace');
  mkdirSync(workspace);
  // The init container's image is busybox: its tar, not GNU tar, unpacks the archive.
  const busyboxBin = join(dir, 'busybox-bin');
  mkdirSync(busyboxBin);
  for (const tool of ['tar', 'mkdir']) symlinkSync('/bin/busybox', join(busyboxBin, tool));
  const init = containerOf(job, true);
  await runCommand(init.command[0] as string, init.command.slice(1), {
    env: envOf(init, {
      WORKSPACE: workspace,
      CONTEXT_ARCHIVE: archive,
      PATH: `${busyboxBin}:${process.env.PATH}`,
    }),
  });

  const storageConf = join(dir, 'storage.conf');
  writeFileSync(
    storageConf,
    `[storage]\ndriver = "vfs"\ngraphroot = "${join(dir, 'storage')}"\nrunroot = "${join(dir, 'run')}"\n`,
  );
  const digestFile = join(dir, 'termination-log');
  const build = containerOf(job, false);
  await runCommand(build.command[0] as string, build.command.slice(1), {
    env: envOf(build, {
      WORKSPACE: workspace,
      DIGEST_FILE: digestFile,
      CONTAINERS_STORAGE_CONF: storageConf,
      HOME: dir,
      TMPDIR: dir,
    }),
    timeoutMs: 300_000,
  });
  return readFileSync(digestFile, 'utf8').trim();
}

interface OciIndex {
  manifests: Array<{ digest: string; platform?: { architecture: string } }>;
}
interface OciManifest {
  config: { digest: string };
  layers: Array<{ digest: string }>;
  annotations?: Record<string, string>;
}

function blob<T>(layout: string, digest: string): T {
  return JSON.parse(readFileSync(join(layout, 'blobs', 'sha256', digest.slice(7)), 'utf8')) as T;
}

/** Copies the pushed image to an OCI layout and unpacks its layers, in order, into `rootfs`. */
async function pullImage(registry: TestRegistry, reference: string, dir: string) {
  const layout = join(dir, 'pulled');
  await runCommand('skopeo', [
    'copy',
    '--all',
    '--src-tls-verify=false',
    `docker://${registry.host}/${reference}`,
    `oci:${layout}:pulled`,
  ]);
  const top = blob<OciIndex>(
    layout,
    JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')).manifests[0].digest,
  );
  return { layout, top };
}

async function unpackLayers(layout: string, manifest: OciManifest, rootfs: string): Promise<void> {
  mkdirSync(rootfs, { recursive: true });
  for (const layer of manifest.layers) {
    await runCommand('tar', ['-xzf', join(layout, 'blobs', 'sha256', layer.digest.slice(7)), '-C', rootfs]);
  }
}

describe('ImageBuild end to end with buildah', function () {
  this.timeout(600_000);
  let registry: TestRegistry;
  let dir: string;

  before(async () => {
    registry = await startRegistry();
    await pushTestImage(registry, 'base/busybox', 'v1', { withBusybox: true });
    await pushTestImage(registry, 'base/multi', 'v1', { architectures: ['amd64', 'arm64'] });
  });
  after(async () => {
    await registry?.stop();
  });
  beforeEach(() => {
    dir = makeTempDir('image-build-e2e');
  });
  afterEach(() => removeTempDir(dir));

  function render(spec: Partial<ImageBuildSpec>, files: Record<string, string>) {
    const manifest = buildManifest({
      image: `${registry.host}/team/app`,
      registries: [{ host: registry.host, tlsVerify: false }],
      sourceUrl: 'https://git.example.com/team/config',
      ...spec,
    });
    return renderImageBuild(manifest, renderContext({ files: new Map(Object.entries(files)) }));
  }

  it('builds FROM a loopback image with COPY and RUN, and pushes an image holding both files and the revision', async () => {
    const objects = render(
      { buildArgs: { GREETING: 'bonjour' } },
      {
        'image-build/app/Dockerfile': [
          `FROM ${registry.host}/base/busybox:v1`,
          'ARG GREETING',
          'COPY greeting.txt conf/ /app/',
          'RUN echo "$GREETING from RUN" > /app/run.txt',
          '',
        ].join('\n'),
        'image-build/app/greeting.txt': 'hello from the config repo\n',
        'image-build/app/conf/app.conf': 'level=debug\n',
        'image-build/other.txt': 'outside the context',
      },
    );
    const digest = await runRenderedJob(objects, dir);
    assert.equal(digest, await manifestDigest(registry, 'team/app', COMMIT_A));

    const { layout, top } = await pullImage(registry, `team/app:${COMMIT_A}`, dir);
    const manifest = top as unknown as OciManifest;
    const rootfs = join(dir, 'rootfs');
    await unpackLayers(layout, manifest, rootfs);
    assert.equal(readFileSync(join(rootfs, 'app/run.txt'), 'utf8'), 'bonjour from RUN\n');
    assert.equal(readFileSync(join(rootfs, 'app/greeting.txt'), 'utf8'), 'hello from the config repo\n');
    assert.equal(readFileSync(join(rootfs, 'app/app.conf'), 'utf8'), 'level=debug\n');

    const config = blob<{ config: { Labels: Record<string, string> } }>(layout, manifest.config.digest);
    assert.equal(config.config.Labels['org.opencontainers.image.revision'], COMMIT_A);
    assert.equal(
      config.config.Labels['org.opencontainers.image.source'],
      'https://git.example.com/team/config',
    );
    assert.equal(manifest.annotations?.['org.opencontainers.image.revision'], COMMIT_A);
  });

  it('pushes one image index with amd64 and arm64 for two architectures', async () => {
    const objects = render(
      { architectures: ['amd64', 'arm64'], tag: 'multi' },
      {
        'image-build/app/Dockerfile': `FROM ${registry.host}/base/multi:v1\nCOPY greeting.txt /app/greeting.txt\n`,
        'image-build/app/greeting.txt': 'hello\n',
      },
    );
    const digest = await runRenderedJob(objects, dir);
    assert.equal(digest, await manifestDigest(registry, 'team/app', 'multi'));
    const { layout, top } = await pullImage(registry, 'team/app:multi', dir);
    const index = top as unknown as OciIndex;
    assert.deepEqual(index.manifests.map((m) => m.platform?.architecture).sort(), ['amd64', 'arm64']);
    for (const entry of index.manifests) {
      const manifest = blob<OciManifest>(layout, entry.digest);
      const rootfs = join(dir, `rootfs-${entry.platform?.architecture}`);
      await unpackLayers(layout, manifest, rootfs);
      assert.deepEqual(readdirSync(join(rootfs, 'app')), ['greeting.txt']);
    }
  });
});
