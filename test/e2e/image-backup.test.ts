// End to end: Deployments in the test cluster use images of a loopback "public" registry; an ImageBackup
// round (observe through the real API server and registries, render) gives skopeo Jobs whose very scripts are
// run here with the real skopeo; the backup registry then holds every image under image-clone-controller's
// names, digest for digest, and the next round renders no Job.

import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS, type Settings } from '../../src/config/settings.js';
import type { KubeObject } from '../../src/core/kube-object.js';
import { jobCommand } from '../../src/jobs/job-template.js';
import { imageBackupKind } from '../../src/kinds/image-backup/index.js';
import type { ImageBackupSpec } from '../../src/kinds/image-backup/types.js';
import type { ObserveContext } from '../../src/kinds/types.js';
import type { KubeApi } from '../../src/kube/types.js';
import type { Manifest } from '../../src/manifests/types.js';
import { controlPlane } from '../support/control-plane.js';
import { kindRound } from '../support/kind-round.js';
import { DOCKER_MEDIA_TYPES, MEDIA_TYPES, pushTestImage } from '../support/oci-image.js';
import {
  fetchManifest,
  listTags,
  manifestDigest,
  startRegistry,
  type TestRegistry,
} from '../support/registry.js';
import { runJobLocally } from '../support/run-job.js';

const settings: Settings = {
  ...DEFAULT_SETTINGS,
  // image-cloner-controller's MAX_CONCURRENT_RECONCILES=1, two images per Job.
  imageSync: { ...DEFAULT_SETTINGS.imageSync, maxJobsPerManifest: 1, tagsPerJob: 2 },
};

function context(kube: KubeApi, namespace: string, live: KubeObject[]): ObserveContext {
  return {
    namespace,
    settings,
    live,
    readSecret: async () => undefined,
    listObjects: (type, ns, selector) => kube.list(type, ns, selector),
  };
}

async function round(kube: KubeApi, m: Manifest<ImageBackupSpec>, live: KubeObject[]) {
  return kindRound(imageBackupKind, m, context(kube, m.namespace!, live));
}

const completed = (jobs: KubeObject[]) =>
  jobs.map((j) => ({ ...j, status: { conditions: [{ type: 'Complete', status: 'True' }] } }));

function deployment(namespace: string, name: string, image: string, initImage?: string): KubeObject {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          ...(initImage ? { initContainers: [{ name: 'init', image: initImage }] } : {}),
          containers: [{ name: name, image }],
        },
      },
    },
  };
}

describe('ImageBackup end to end with skopeo', function () {
  this.timeout(300_000);
  let upstream: TestRegistry;
  let backup: TestRegistry;

  before(async () => {
    [upstream, backup] = await Promise.all([startRegistry(), startRegistry()]);
  });
  after(async () => {
    await Promise.all([upstream, backup].filter(Boolean).map((r) => r.stop()));
  });

  it("copies the Deployments' images to the backup registry under the expected names, then renders no Job", async () => {
    const cp = await controlPlane();
    const kube = cp.kubeApi;
    // Docker Hub's format for the library/ images (schema 2 manifest and manifest list), OCI for team/init.
    const app = await pushTestImage(upstream, 'library/app', '1.0', { format: 'docker' });
    const tool = await pushTestImage(upstream, 'library/tool', '2.0', {
      architectures: ['amd64', 'arm64'],
      format: 'docker',
    });
    const init = await pushTestImage(upstream, 'team/init', 'v1');
    const ns = await cp.newNamespace('backup-e2e');
    await kube.apply(
      deployment(ns, 'app', `${upstream.host}/library/app:1.0`, `${upstream.host}/team/init:v1`),
    );
    await kube.apply(deployment(ns, 'tool', `${upstream.host}/library/tool@${tool}`));

    const m: Manifest<ImageBackupSpec> = {
      key: `ImageBackup/${ns}/backup`,
      kind: 'ImageBackup',
      name: 'backup',
      namespace: ns,
      spec: {
        backupRegistry: backup.host,
        namespaces: [ns],
        registries: [
          { host: upstream.host, tlsVerify: false },
          { host: backup.host, tlsVerify: false },
        ],
      },
      origin: { file: 'backup.yaml', line: 1, apiVersion: 'image-gitops.io/v1alpha1', kind: 'ImageBackup' },
    };

    // Three images, one Job of two at a time: the bound leaves one for the next round.
    const first = await round(kube, m, []);
    assert.equal(first.observed.pending.length, 3);
    assert.equal(first.newJobs.length, 1);
    assert.equal((jobCommand(first.newJobs[0]!)?.[2] ?? '').trim().split('\n').length, 2);
    for (const job of first.newJobs) await runJobLocally(job, first.objects);
    let live = completed(first.newJobs);

    const second = await round(kube, m, live);
    assert.equal(second.observed.pending.length, 1);
    assert.equal(second.newJobs.length, 1);
    for (const job of second.newJobs) await runJobLocally(job, second.objects);
    live = [...live, ...completed(second.newJobs)];

    const segment = upstream.host.replace(/[.:]/g, '_');
    assert.deepEqual(await listTags(backup, `${segment}/library/app`), ['1.0']);
    assert.equal(await manifestDigest(backup, `${segment}/library/app`, '1.0'), app);
    assert.equal(await manifestDigest(backup, `${segment}/team/init`, 'v1'), init);
    const pinnedTag = `sha256_${tool.slice('sha256:'.length)}`;
    assert.deepEqual(await listTags(backup, `${segment}/library/tool`), [pinnedTag]);
    assert.equal(await manifestDigest(backup, `${segment}/library/tool`, pinnedTag), tool, 'the whole index');
    const served = async (repo: string, ref: string) =>
      (await fetchManifest(backup, `${segment}/${repo}`, ref)).mediaType;
    assert.equal(await served('library/app', '1.0'), DOCKER_MEDIA_TYPES.manifest);
    assert.equal(await served('library/tool', pinnedTag), DOCKER_MEDIA_TYPES.index);
    assert.equal(await served('team/init', 'v1'), MEDIA_TYPES.manifest);

    const third = await round(kube, m, live);
    assert.deepEqual(
      third.observed.images.map((i) => i.state),
      ['upToDate', 'upToDate', 'upToDate'],
    );
    assert.deepEqual(third.newJobs, [], 'backed-up images make no Job');
  });
});
