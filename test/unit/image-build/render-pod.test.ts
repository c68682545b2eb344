// The build Job's pod, field by field: what buildah and the unpack step are given to run with. The scripts'
// own lines are script.test.ts's subject; here, the environment, volumes and mounts they rely on.
import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS } from '../../../src/config/settings.js';
import type { KubeObject } from '../../../src/core/kube-object.js';
import { renderImageBuild } from '../../../src/kinds/image-build/render.js';
import { unpackScript } from '../../../src/kinds/image-build/script.js';
import type { ImageBuildSpec } from '../../../src/kinds/image-build/types.js';
import { buildContainer, buildManifest, buildScript, only, podSpec, renderContext } from './fixtures.js';

const credentials = { authFile: { auths: { 'registry.example.com': { auth: 'dTpw' } } } };

function job(observed = {}): KubeObject {
  return only(renderImageBuild(buildManifest(), renderContext({ observed })), 'Job');
}

function configMapName(objects: KubeObject[]): string {
  return only(objects, 'ConfigMap').metadata.name;
}

describe('ImageBuild Job pod', () => {
  it('runs the build script with sh -ec in the settings buildah image', () => {
    const build = buildContainer(job());
    assert.equal(build.image, DEFAULT_SETTINGS.images.buildah);
    assert.deepEqual(build.command?.slice(0, 2), ['/bin/sh', '-ec']);
    assert.equal(build.command?.length, 3);
    assert.match(buildScript(job()), /^set -eu\nbuildah /);
  });

  it('gives the build the workspace, the digest file and chroot isolation, and no authfile without credentials', () => {
    assert.deepEqual(buildContainer(job()).env, [
      { name: 'HOME', value: '/tmp' },
      { name: 'TMPDIR', value: '/tmp' },
      { name: 'WORKSPACE', value: '/workspace' },
      { name: 'DIGEST_FILE', value: '/dev/termination-log' },
      { name: 'BUILDAH_ISOLATION', value: 'chroot' },
    ]);
  });

  it('points REGISTRY_AUTH_FILE at the mounted authfile Secret when there are credentials', () => {
    const objects = renderImageBuild(buildManifest(), renderContext({ observed: credentials }));
    const build = buildContainer(only(objects, 'Job'));
    assert.deepEqual(build.env?.at(-1), {
      name: 'REGISTRY_AUTH_FILE',
      value: '/etc/image-gitops/auth/auth.json',
    });
    const volumes = podSpec(only(objects, 'Job')).volumes as Array<Record<string, unknown>>;
    assert.deepEqual(
      volumes.find((v) => v.name === 'authfile'),
      { name: 'authfile', secret: { secretName: 'app-build-auth', defaultMode: 0o440 } },
    );
    const mounts = build.volumeMounts as Array<Record<string, unknown>>;
    assert.deepEqual(
      mounts.find((m) => m.name === 'authfile'),
      { name: 'authfile', mountPath: '/etc/image-gitops/auth', readOnly: true },
    );
  });

  it('mounts no authfile Secret without credentials', () => {
    const volumes = podSpec(job()).volumes as Array<Record<string, unknown>>;
    assert.equal(
      volumes.some((v) => 'secret' in v),
      false,
    );
    assert.equal(
      JSON.stringify(buildContainer(job()).volumeMounts).includes('/etc/image-gitops/auth'),
      false,
    );
  });

  it('mounts only the archive key of the context ConfigMap, read-only', () => {
    const objects = renderImageBuild(buildManifest(), renderContext());
    const volumes = podSpec(only(objects, 'Job')).volumes as Array<Record<string, unknown>>;
    assert.deepEqual(
      volumes.find((v) => 'configMap' in v),
      {
        name: 'context-archive',
        configMap: {
          name: configMapName(objects),
          defaultMode: 0o444,
          items: [{ key: 'context.tar', path: 'context.tar' }],
        },
      },
    );
    const mounts = buildContainer(only(objects, 'Job')).volumeMounts as Array<Record<string, unknown>>;
    assert.deepEqual(mounts.at(-1), {
      name: 'context-archive',
      mountPath: '/etc/image-gitops/context',
      readOnly: true,
    });
  });

  it('gives buildah writable emptyDirs for the workspace and its storage (the root file system is read-only)', () => {
    const build = buildContainer(job());
    const mounts = build.volumeMounts as Array<{ name: string; mountPath: string }>;
    const volumes = podSpec(job()).volumes as Array<{ name: string; emptyDir?: object }>;
    const writable = mounts
      .filter((m) => volumes.find((v) => v.name === m.name)?.emptyDir)
      .map((m) => m.mountPath);
    assert.deepEqual(writable, ['/tmp', '/workspace', '/var/lib/containers', '/run/containers', '/var/tmp']);
  });

  it('runs the unpack step first, in the shell image, with the workspace and the archive it extracts', () => {
    const init = podSpec(job()).initContainers;
    assert.equal(init?.length, 1);
    const unpack = init?.[0] as Record<string, unknown>;
    assert.equal(unpack.name, 'unpack-context');
    assert.equal(unpack.image, DEFAULT_SETTINGS.images.shell);
    assert.deepEqual(unpack.command, ['/bin/sh', '-ec', unpackScript()]);
    assert.deepEqual(unpack.env, [
      { name: 'WORKSPACE', value: '/workspace' },
      { name: 'CONTEXT_ARCHIVE', value: '/etc/image-gitops/context/context.tar' },
    ]);
    // The same volumes as the build container's workspace and archive: what it unpacks, buildah reads.
    const build = buildContainer(job()).volumeMounts as Array<{ name: string; mountPath: string }>;
    const shared = build.filter((m) => ['/workspace', '/etc/image-gitops/context'].includes(m.mountPath));
    assert.equal(shared.length, 2);
    assert.deepEqual(unpack.volumeMounts, shared);
  });

  it('runs the build unprivileged when the settings have no imageBuild section', () => {
    const { imageBuild: _, ...settings } = DEFAULT_SETTINGS;
    const build = buildContainer(only(renderImageBuild(buildManifest(), renderContext({ settings })), 'Job'));
    assert.equal((build.securityContext as Record<string, unknown>).privileged, false);
  });

  it('requests the build defaults (vfs copies every layer) when the spec gives no resources', () => {
    assert.deepEqual(buildContainer(job()).resources, {
      requests: { cpu: '500m', memory: '1Gi', 'ephemeral-storage': '2Gi' },
      limits: { memory: '4Gi' },
    });
  });

  it('takes numbers in spec resources as quantities, and only the parts the spec gives', () => {
    // The schema lets YAML give `cpu: 2`; a Job wants quantity strings.
    const resources = { limits: { cpu: 2 } } as unknown as ImageBuildSpec['resources'];
    const manifest = buildManifest({ resources });
    const build = buildContainer(only(renderImageBuild(manifest, renderContext()), 'Job'));
    assert.deepEqual(build.resources, { limits: { cpu: '2' } });
  });
});
