// The bench's images (test/images/build-images.sh) each run the job the rendered objects give them, for real:
// pushed to a loopback registry, pulled back with buildah into a storage of this test, and run with
// `buildah run --isolation chroot` with the rendered command, user, environment and mounts (no kubelet; host
// network). Building from cold happens once per machine (about 1.5 minutes, before the first test); with a
// warm cache this suite takes seconds plus one reconciler build whenever src/ changed.
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { DEFAULT_SETTINGS, type Settings } from '../../src/config/settings.js';
import type { KubeObject } from '../../src/core/kube-object.js';
import { shellScript } from '../../src/jobs/job-template.js';
import { skopeoCopyArgs } from '../../src/jobs/skopeo.js';
import { renderImageBuild } from '../../src/kinds/image-build/render.js';
import { imagePrepullKind } from '../../src/kinds/image-prepull/index.js';
import type { ImagePrepullSpec } from '../../src/kinds/image-prepull/types.js';
import { registryMirrorKind } from '../../src/kinds/registry-mirror/index.js';
import type { RegistryMirrorSpec } from '../../src/kinds/registry-mirror/types.js';
import type { RenderContext } from '../../src/kinds/types.js';
import type { Manifest } from '../../src/manifests/types.js';
import { buildImages, type ImageName, imageKey, pushImages } from '../images/images.js';
import { type LocalImages, localImages } from '../images/run-local.js';
import { runCommand, waitFor } from '../support/processes.js';
import {
  freePort,
  MANIFEST_ACCEPT,
  manifestDigest,
  startRegistry,
  type TestRegistry,
} from '../support/registry.js';
import { makeTempDir, removeTempDir } from '../support/tmp.js';
import { buildManifest, COMMIT_A, only, renderContext } from '../unit/image-build/fixtures.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read nested fields of rendered objects
type Loose = any;

const REPO_ROOT = new URL('../..', import.meta.url).pathname;

/** Built and pushed before the tests; the reconciler (rebuilt whenever src/ changes) in its own test. */
const TOOL_IMAGES: ImageName[] = ['busybox', 'skopeo', 'buildah', 'registry'];

function settingsFor(refs: Record<ImageName, string>): Settings {
  return {
    ...DEFAULT_SETTINGS,
    images: {
      skopeo: refs.skopeo,
      buildah: refs.buildah,
      registry: refs.registry,
      sleep: refs.busybox,
      shell: refs.busybox,
    },
  };
}

function context(settings: Settings, namespace: string): RenderContext {
  return {
    namespace,
    settings,
    commit: { sha: COMMIT_A, author: 'test', date: '2026-01-01T00:00:00Z', message: 'test' },
    live: [],
    observed: undefined,
  };
}

function manifest<T>(kind: string, name: string, spec: T): Manifest<T> {
  return {
    key: `${kind}/${name}`,
    kind,
    name,
    spec,
    origin: { file: 'test.yaml', line: 1, apiVersion: 'image-gitops.io/v1alpha1', kind },
  } as Manifest<T>;
}

function find(objects: KubeObject[], kind: string): Loose {
  const found = objects.find((o) => o.kind === kind);
  assert.ok(found, `no ${kind} rendered`);
  return found;
}

/** `uid:gid` of a securityContext (the pod's, overridden by the container's). */
function userOf(pod: Loose, container: Loose): string | undefined {
  const uid = container.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
  const gid = container.securityContext?.runAsGroup ?? pod.securityContext?.runAsGroup ?? uid;
  return uid === undefined ? undefined : `${uid}:${gid}`;
}

function envOf(container: Loose, overrides: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { name, value } of container.env ?? []) if (typeof value === 'string') env[name] = value;
  return { ...env, ...overrides };
}

/** A folder for a container mount, writable by anyone (as an emptyDir). */
function emptyDir(parent: string, name: string): string {
  const dir = join(parent, name);
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o777);
  return dir;
}

describe('bench images: each runs its job', function () {
  this.timeout(120_000);
  let registry: TestRegistry;
  let refs: Record<ImageName, string>;
  let settings: Settings;
  let local: LocalImages;
  let dir: string;

  before(async function () {
    this.timeout(40 * 60_000);
    await buildImages(TOOL_IMAGES);
    registry = await startRegistry();
    refs = await pushImages(registry.host, TOOL_IMAGES);
    settings = settingsFor(refs);
    local = await localImages();
  });
  after(async () => {
    await local?.remove();
    await registry?.stop();
  });
  beforeEach(() => {
    dir = makeTempDir('images');
  });
  afterEach(() => removeTempDir(dir));

  /** The pushed image's layers, after checking its name, tag, platform and digest against its archive. */
  async function checkPushed(name: ImageName): Promise<string[]> {
    const archive = (await buildImages([name]))[name];
    const [repository, tag] = refs[name].slice(registry.host.length + 1).split(':') as [string, string];
    assert.equal(repository, `image-gitops-test/${name}`);
    assert.equal(tag, imageKey(archive));
    const inspect = async (source: string) =>
      JSON.parse((await runCommand('skopeo', ['inspect', '--tls-verify=false', source])).stdout) as {
        Architecture: string;
        Os: string;
        Layers: string[];
        Digest: string;
      };
    const pushed = await inspect(`docker://${refs[name]}`);
    assert.equal(`${pushed.Os}/${pushed.Architecture}`, 'linux/amd64');
    assert.equal(
      await manifestDigest(registry, repository, tag),
      (await inspect(`oci-archive:${archive}`)).Digest,
    );
    return pushed.Layers;
  }

  it('pushes each image as image-gitops-test/<name>:<input key>, linux/amd64, the Debian layer shared', async () => {
    const layers: Record<string, string[]> = {};
    for (const name of TOOL_IMAGES) layers[name] = await checkPushed(name);
    for (const name of ['buildah', 'registry']) {
      assert.equal(layers[name]?.[0], layers.skopeo?.[0], `${name} starts with the Debian layer of skopeo`);
    }
  });

  it('a second run of build-images.sh with unchanged inputs builds nothing', async () => {
    // Not the reconciler: its key follows src/, which may be edited while the suite runs.
    const script = join(REPO_ROOT, 'test/images/build-images.sh');
    const { stdout, stderr } = await runCommand('bash', [script, ...TOOL_IMAGES]);
    assert.doesNotMatch(stderr, /building/);
    assert.deepEqual(JSON.parse(stdout), await buildImages(TOOL_IMAGES));
  });

  it('busybox: the prepull init step copies a static sleep that then runs in another image', async () => {
    const spec: ImagePrepullSpec = { images: [{ name: 'registry', image: refs.registry }] };
    const [daemonSet] = imagePrepullKind.render(
      manifest('ImagePrepull', 'bench', spec),
      context(settings, 'prepull'),
    ) as Loose[];
    const pod = daemonSet.spec.template.spec;
    const init = pod.initContainers[0];
    assert.equal(init.image, refs.busybox);
    const kip = emptyDir(dir, 'kip');
    const sleeper = await local.container(init.image);
    await local.run(sleeper, init.command, { user: userOf(pod, init), mounts: { [kip]: '/kip' } });
    assert.ok(existsSync(join(kip, 'sleep')));

    // The pulled image's container runs `/kip/sleep 720h`; here `sleep 0`, which succeeds only if the copied
    // static binary runs in an image that has no sleep of its own, and `sleep x`, which busybox refuses.
    const main = pod.containers[0];
    assert.equal(main.image, refs.registry);
    const other = await local.container(main.image);
    const options = { user: userOf(pod, main), mounts: { [kip]: '/kip' } };
    await local.run(other, [...main.command, '0'], options);
    await assert.rejects(local.run(other, [...main.command, 'x'], options), /invalid number|usage/i);
  });

  it('busybox: the node-config script writes hosts.toml for the mirror, and its preStop hook removes it', async () => {
    const spec: RegistryMirrorSpec = { upstreamUrl: 'docker.io' };
    const objects = registryMirrorKind.render(
      manifest('RegistryMirror', 'hub', spec),
      context(settings, 'mirrors'),
    );
    const daemonSet = objects.find((o) => o.kind === 'DaemonSet') as Loose;
    const pod = daemonSet.spec.template.spec;
    const container = pod.containers[0];
    assert.equal(container.image, refs.busybox);
    const certsDir = emptyDir(dir, 'certs.d');
    const mountPath = container.volumeMounts.find((m: Loose) => m.name === 'certs-d').mountPath;
    // Kubernetes would expand $(<SERVICE>_SERVICE_HOST) to the mirror's ClusterIP.
    const options = {
      user: userOf(pod, container),
      env: envOf(container, { MIRROR_ADDRESS: '10.96.0.10' }),
      mounts: { [certsDir]: mountPath },
    };
    const shell = await local.container(container.image);
    const running = local.spawn(shell, container.command, options);
    const hostsToml = join(certsDir, 'docker.io', 'hosts.toml');
    try {
      await waitFor(() => existsSync(hostsToml), {
        timeoutMs: 15_000,
        what: `${hostsToml}: ${running.output()}`,
      });
      const toml = readFileSync(hostsToml, 'utf8');
      assert.match(toml, /http:\/\/10\.96\.0\.10:5000/);
      assert.match(toml, /^# written by image-gitops/);
    } finally {
      await local.stop(running.child);
    }
    await local.run(shell, container.lifecycle.preStop.exec.command, options);
    assert.equal(existsSync(hostsToml), false);
  });

  it('skopeo: the copy Job script copies an image between registries as user 1000', async () => {
    const [repository, tag] = refs.busybox.slice(registry.host.length + 1).split(':') as [string, string];
    const argv = skopeoCopyArgs(
      {
        sourceRef: tag,
        source: { registry: registry.host, repository, tag },
        destination: { registry: registry.host, repository: 'copied/busybox', tag },
      },
      { source: { tlsVerify: false }, destination: { tlsVerify: false } },
    );
    const skopeo = await local.container(refs.skopeo);
    assert.equal((await local.config(refs.skopeo)).User, '1000:1000');
    // As copy-jobs.ts runs it: `/bin/sh -ec <script>`, HOME and TMPDIR on the /tmp emptyDir, uid 1000.
    await local.run(skopeo, ['/bin/sh', '-ec', shellScript([argv])], {
      user: '1000:1000',
      env: { HOME: '/tmp', TMPDIR: '/tmp' },
      mounts: { [emptyDir(dir, 'tmp')]: '/tmp' },
    });
    assert.equal(
      await manifestDigest(registry, 'copied/busybox', tag),
      await manifestDigest(registry, repository, tag),
    );
  });

  it('buildah: the ImageBuild Job unpacks its context (shell image) and builds with RUN and pushes (buildah image)', async () => {
    const objects = renderImageBuild(
      buildManifest({
        image: `${registry.host}/team/app`,
        registries: [{ host: registry.host, tlsVerify: false }],
      }),
      renderContext({
        settings,
        files: new Map(
          Object.entries({
            'image-build/app/Dockerfile': `FROM ${refs.busybox}\nCOPY hello.txt /hello.txt\nRUN echo built > /built.txt\n`,
            'image-build/app/hello.txt': 'hello\n',
          }),
        ),
      }),
    );
    const configMap = only(objects, 'ConfigMap') as Loose;
    const job = only(objects, 'Job') as Loose;
    const pod = job.spec.template.spec;
    const init = pod.initContainers[0];
    const build = pod.containers.find((c: Loose) => c.name === 'build');
    assert.equal(init.image, refs.busybox);
    assert.equal(build.image, refs.buildah);

    const key = Object.keys(configMap.binaryData)[0] as string;
    const archiveDir = join(dir, 'context');
    mkdirSync(archiveDir);
    writeFileSync(join(archiveDir, key), Buffer.from(configMap.binaryData[key], 'base64'));
    const archivePath = init.env.find((e: Loose) => e.name === 'CONTEXT_ARCHIVE').value as string;
    const workspace = emptyDir(dir, 'workspace');
    const workspacePath = envOf(build).WORKSPACE as string;
    const unpack = await local.container(init.image);
    await local.run(unpack, init.command, {
      user: userOf(pod, init),
      env: envOf(init),
      mounts: { [workspace]: workspacePath, [archiveDir]: `${archivePath.slice(0, -key.length - 1)}:ro` },
    });

    const buildah = await local.container(build.image);
    const mounts: Record<string, string> = { [workspace]: workspacePath };
    for (const mount of build.volumeMounts) {
      if (mount.readOnly || mount.mountPath === workspacePath) continue;
      mounts[emptyDir(dir, mount.name)] = mount.mountPath;
    }
    // In a pod (pivot_root) buildah without CAP_SYS_ADMIN re-executes itself in a user namespace; here the
    // container is a chroot, where the kernel refuses new user namespaces, so this run keeps CAP_SYS_ADMIN.
    await local.run(buildah, build.command, {
      user: userOf(pod, build),
      env: envOf(build, { DIGEST_FILE: '/tmp/termination-log' }),
      mounts,
      capAdd: ['CAP_SYS_ADMIN'],
    });
    const digest = readFileSync(join(dir, 'tmp', 'termination-log'), 'utf8').trim();
    assert.equal(digest, await manifestDigest(registry, 'team/app', COMMIT_A));
  });

  it("registry: the mirror StatefulSet's args run the image as a pull-through cache of a loopback registry", async () => {
    const spec: RegistryMirrorSpec = { upstreamUrl: `http://${registry.host}` };
    const objects = registryMirrorKind.render(
      manifest('RegistryMirror', 'local', spec),
      context(settings, 'mirrors'),
    );
    const statefulSet = find(objects, 'StatefulSet');
    const configMap = find(objects, 'ConfigMap');
    const pod = statefulSet.spec.template.spec;
    const container = pod.containers[0];
    assert.equal(container.image, refs.registry);
    assert.equal(container.command, undefined, 'the image entrypoint runs the rendered args');

    const port = await freePort();
    const config = parse(configMap.data['config.yml']) as Loose;
    config.http.addr = `127.0.0.1:${port}`; // the pod's :5000 would be the host's here
    const configDir = join(dir, 'config');
    mkdirSync(configDir);
    writeFileSync(join(configDir, 'config.yml'), stringify(config));
    const storage = emptyDir(dir, 'image-store');
    chownSync(storage, pod.securityContext.fsGroup, pod.securityContext.fsGroup);
    const mounts: Record<string, string> = { [configDir]: '/etc/docker/registry:ro' };
    for (const mount of container.volumeMounts) {
      if (mount.name === 'image-store') mounts[storage] = mount.mountPath;
      if (mount.name === 'tmp') mounts[emptyDir(dir, 'tmp')] = mount.mountPath;
    }

    const image = await local.config(refs.registry);
    assert.equal(image.User, '1000:1000');
    const mirror = await local.container(refs.registry);
    const running = local.spawn(mirror, [...(image.Entrypoint ?? []), ...container.args], {
      user: userOf(pod, container),
      mounts,
    });
    try {
      const url = `http://127.0.0.1:${port}`;
      await waitFor(async () => (await fetch(`${url}/`)).status === 200, {
        timeoutMs: 15_000,
        what: `the mirror on ${url}: ${running.output()}`,
      });
      assert.equal((await fetch(`${url}/v2/`)).status, 200);
      const [repository, tag] = refs.busybox.slice(registry.host.length + 1).split(':') as [string, string];
      const res = await fetch(`${url}/v2/${repository}/manifests/${tag}`, {
        headers: { Accept: MANIFEST_ACCEPT },
      });
      assert.equal(res.status, 200, running.output());
      assert.equal(res.headers.get('docker-content-digest'), await manifestDigest(registry, repository, tag));
    } finally {
      await local.stop(running.child);
    }
  });

  it('reconciler: the unchanged Dockerfile on local node:20 images; runs as 10001 and validates the samples', async function () {
    this.timeout(40 * 60_000); // a build when src/ changed: under a minute here
    Object.assign(refs, await pushImages(registry.host, ['reconciler']));
    const layers = await checkPushed('reconciler');
    assert.equal(layers[0], (await checkPushed('skopeo'))[0], 'the reconciler starts with the Debian layer');
    const reconciler = await local.container(refs.reconciler);
    const image = await local.config(refs.reconciler);
    assert.equal(image.User, '10001:10001');
    assert.deepEqual(image.Entrypoint, ['node', 'dist/src/cli/main.js']);
    assert.equal((await local.run(reconciler, ['id', '-u'])).stdout.trim(), '10001');
    const validated = await local.run(
      reconciler,
      [...image.Entrypoint, 'validate', '/samples', '--output', 'json'],
      { mounts: { [join(REPO_ROOT, 'sample-repo')]: '/samples:ro' } },
    );
    const report = JSON.parse(validated.stdout) as { valid: boolean; manifests: unknown[] };
    assert.equal(report.valid, true);
    assert.ok(report.manifests.length > 0);
  });
});
