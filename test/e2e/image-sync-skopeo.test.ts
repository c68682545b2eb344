// End to end: observe real loopback registries, render the ImageSync Jobs, and run the very command lines of
// the rendered Jobs with the real skopeo: the script from the Job's container command, the files (auth.json,
// CA) from the rendered Secret written where the Job would mount them. Only the mount path is rewritten to
// the local folder. Then the destination digests are compared with the source's.
import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS, type Settings } from '../../src/config/settings.js';
import type { KubeObject } from '../../src/core/kube-object.js';
import { jobCommand } from '../../src/jobs/job-template.js';
import { imageSyncKind } from '../../src/kinds/image-sync/index.js';
import type { ImageSyncObserved } from '../../src/kinds/image-sync/observe.js';
import type { ImageSyncSpec } from '../../src/kinds/image-sync/spec.js';
import type { ObserveContext } from '../../src/kinds/types.js';
import type { Manifest } from '../../src/manifests/types.js';
import { kindRound } from '../support/kind-round.js';
import { DOCKER_MEDIA_TYPES, MEDIA_TYPES, pushTestImage } from '../support/oci-image.js';
import {
  fetchManifest,
  listTags,
  manifestDigest,
  startRegistry,
  type TestRegistry,
} from '../support/registry.js';
import { runJobLocally as runJob } from '../support/run-job.js';

const NAMESPACE = 'images';

function manifest(name: string, spec: ImageSyncSpec): Manifest<ImageSyncSpec> {
  return {
    key: `ImageSync/${name}`,
    kind: 'ImageSync',
    name,
    spec,
    origin: { file: `${name}.yaml`, line: 1, apiVersion: 'image-gitops.io/v1alpha1', kind: 'ImageSync' },
  };
}

function settingsWith(imageSync: Partial<Settings['imageSync']> = {}): Settings {
  return { ...DEFAULT_SETTINGS, imageSync: { ...DEFAULT_SETTINGS.imageSync, ...imageSync } };
}

/** Observe + render, the way the engine calls a kind, with the Secrets the cluster would hold. */
async function syncRound(
  m: Manifest<ImageSyncSpec>,
  secrets: Record<string, Record<string, string>>,
  options: { live?: KubeObject[]; settings?: Settings } = {},
): Promise<{ observed: ImageSyncObserved; objects: KubeObject[]; newJobs: KubeObject[] }> {
  const settings = options.settings ?? settingsWith();
  const live = options.live ?? [];
  const context: ObserveContext = {
    namespace: NAMESPACE,
    settings,
    live,
    readSecret: async (namespace, name) => (namespace === NAMESPACE ? secrets[name] : undefined),
    listObjects: async () => [],
  };
  return kindRound(imageSyncKind, m, context);
}

function copiedTags(job: KubeObject): string[] {
  const script = jobCommand(job)?.[2] ?? '';
  return [...script.matchAll(/docker:\/\/\S+:(\S+)\n/g)].map((m) => m[1] ?? '');
}

describe('ImageSync end to end with skopeo', function () {
  this.timeout(300_000);
  const auth = { username: 'sync', password: "p@ss:w'rd" };
  let plain: TestRegistry;
  let locked: TestRegistry;
  let tls: TestRegistry;
  let secrets: Record<string, Record<string, string>>;

  before(async () => {
    [plain, locked, tls] = await Promise.all([
      startRegistry(),
      startRegistry({ auth }),
      startRegistry({ tls: true }),
    ]);
    secrets = {
      'locked-creds': {
        '.dockerconfigjson': JSON.stringify({
          auths: {
            [locked.host]: { auth: Buffer.from(`${auth.username}:${auth.password}`).toString('base64') },
          },
        }),
      },
      'tls-ca': { 'ca.crt': (await import('node:fs')).readFileSync(tls.caFile!, 'utf8') },
    };
  });

  after(async () => {
    await Promise.all([plain, locked, tls].filter(Boolean).map((r) => r.stop()));
  });

  const registries = () => [
    { host: plain.host, tlsVerify: false },
    { host: locked.host, tlsVerify: false, credentialsSecret: 'locked-creds' },
    { host: tls.host, caSecret: { name: 'tls-ca' } },
  ];

  for (const format of ['oci', 'docker'] as const) {
    const kind = format === 'oci' ? 'an OCI image index' : 'a Docker manifest list';
    it(`copies a multi-arch image (${kind}) from a plain registry to a basic-auth one, digest for digest`, async () => {
      const repo = `base/multi-${format}`;
      const digest = await pushTestImage(plain, repo, '1.0', { architectures: ['amd64', 'arm64'], format });
      const m = manifest(`multi-${format}`, {
        source: { image: `${plain.host}/${repo}`, tag: '1.0' },
        destination: { image: `${locked.host}/mirror/multi-${format}` },
        registries: registries(),
      });
      const first = await syncRound(m, secrets);
      assert.equal(first.newJobs.length, 1);
      const rendered = JSON.stringify(first.newJobs[0]);
      assert.ok(!rendered.includes(auth.password), 'no password in the Job');
      await runJob(first.newJobs[0]!, first.objects);
      assert.equal(await manifestDigest(locked, `mirror/multi-${format}`, '1.0'), digest);
      const index = await fetchManifest(locked, `mirror/multi-${format}`, '1.0');
      assert.equal(index.mediaType, format === 'oci' ? MEDIA_TYPES.index : DOCKER_MEDIA_TYPES.index);
      assert.equal((JSON.parse(index.body) as { manifests: unknown[] }).manifests.length, 2);
      const again = await syncRound(m, secrets);
      assert.equal(again.observed.upToDate, 1);
      assert.equal(again.newJobs.length, 0, 'a steady state renders no Job');
    });
  }

  it('copies from a TLS registry trusted through the CA Secret to a plain one', async () => {
    const digest = await pushTestImage(tls, 'secure/app', 'v3');
    const m = manifest('secure', {
      source: { image: `${tls.host}/secure/app`, tag: 'v3' },
      destination: { image: `${plain.host}/secure/app` },
      registries: registries(),
    });
    const round = await syncRound(m, secrets);
    assert.match(jobCommand(round.newJobs[0]!)?.[2] ?? '', /--src-cert-dir /);
    await runJob(round.newJobs[0]!, round.objects);
    assert.equal(await manifestDigest(plain, 'secure/app', 'v3'), digest);
    assert.equal((await syncRound(m, secrets)).newJobs.length, 0);
  });

  it('copies one chosen platform, and then sees it as up to date', async () => {
    await pushTestImage(plain, 'base/multi-arm', '2.0', { architectures: ['amd64', 'arm64'] });
    const index = JSON.parse((await fetchManifest(plain, 'base/multi-arm', '2.0')).body) as {
      manifests: Array<{ digest: string; platform: { architecture: string } }>;
    };
    const armDigest = index.manifests.find((d) => d.platform.architecture === 'arm64')?.digest;
    const m = manifest('arm-only', {
      source: { image: `${plain.host}/base/multi-arm`, tag: '2.0' },
      destination: { image: `${locked.host}/mirror/arm-only` },
      platforms: ['linux/arm64'],
      registries: registries(),
    });
    const round = await syncRound(m, secrets);
    await runJob(round.newJobs[0]!, round.objects);
    assert.equal(await manifestDigest(locked, 'mirror/arm-only', '2.0'), armDigest);
    assert.equal((await syncRound(m, secrets)).newJobs.length, 0);
  });

  it('follows a pattern: new tags pushed between syncs get Jobs, nothing new gets none, within the bounds', async () => {
    for (const tag of ['v1.0.0', 'v1.1.0', 'v1.2.0-rc1', 'latest', 'v2.0.0'])
      await pushTestImage(plain, 'team/app', tag);
    const m = manifest('team-app', {
      source: { image: `${plain.host}/team/app` },
      destination: { image: `${locked.host}/team/app` },
      tags: { pattern: 'v1.x.x' },
      registries: registries(),
    });
    const settings = settingsWith({ maxJobsPerManifest: 2, tagsPerJob: 1 });
    const first = await syncRound(m, secrets, { settings });
    assert.deepEqual(first.newJobs.map(copiedTags), [['v1.1.0'], ['v1.0.0']]);
    for (const job of first.newJobs) await runJob(job, first.objects);
    const done = (jobs: KubeObject[]) =>
      jobs.map((j) => ({ ...j, status: { conditions: [{ type: 'Complete', status: 'True' }] } }));
    let live = done(first.newJobs);

    for (const tag of ['v1.1.1', 'v1.3.0', 'v1.4.0', 'v1.3.0-rc.2'])
      await pushTestImage(plain, 'team/app', tag);
    const second = await syncRound(m, secrets, { settings, live });
    assert.deepEqual(
      second.newJobs.map(copiedTags),
      [['v1.4.0'], ['v1.3.0']],
      'newest first, two Jobs at most',
    );
    assert.match(second.observed.message, /3 to copy .*at most 2 Jobs of 1 tags/);
    for (const job of second.newJobs) await runJob(job, second.objects);
    live = [...live, ...done(second.newJobs)];

    const third = await syncRound(m, secrets, { settings, live });
    assert.deepEqual(third.newJobs.map(copiedTags), [['v1.1.1']], 'the copy left over by the bound');
    for (const job of third.newJobs) await runJob(job, third.objects);
    live = [...live, ...done(third.newJobs)];

    const fourth = await syncRound(m, secrets, { settings, live });
    assert.equal(fourth.newJobs.length, 0);
    assert.equal(fourth.observed.upToDate, 5);
    assert.deepEqual(await listTags(locked, 'team/app'), ['v1.0.0', 'v1.1.0', 'v1.1.1', 'v1.3.0', 'v1.4.0']);
    for (const tag of await listTags(locked, 'team/app')) {
      assert.equal(
        await manifestDigest(locked, 'team/app', tag),
        await manifestDigest(plain, 'team/app', tag),
      );
    }
  });
});
