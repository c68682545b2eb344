// What a config repo holds besides manifests, and what validate must refuse because a sync would:
// non-manifest YAML is ignored by rule (and listed), schedules are judged by the API server's cron rules,
// build contexts stay in the repo, RegistryMirror cannot pick host folders or odd upstreams.
import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS } from '../../../src/config/settings.js';
import { cronJobScheduleProblem } from '../../../src/core/cron.js';
import { loadManifests } from '../../../src/kinds/registry.js';
import { registryMirrorKind } from '../../../src/kinds/registry-mirror/index.js';
import type { LoadedManifests, Manifest } from '../../../src/manifests/types.js';

function load(files: Record<string, string>): LoadedManifests {
  return loadManifests(Object.entries(files).map(([path, content]) => ({ path, content })));
}

const PREPULL = `apiVersion: image-gitops.io/v1alpha1
kind: ImagePrepull
metadata:
  name: tools
spec:
  images:
    - name: busybox
      image: busybox:1.36
`;

function problemsOf(loaded: LoadedManifests): string[] {
  return [
    ...loaded.fileProblems.map((p) => `${p.code} ${p.location?.field ?? ''} ${p.message}`),
    ...loaded.invalid.flatMap((i) =>
      i.problems.map((p) => `${p.code} ${p.location?.field ?? ''} ${p.message}`),
    ),
  ];
}

describe('files that are not manifests', () => {
  const ci = {
    '.github/workflows/ci.yaml':
      'name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npx image-gitops validate .\n',
    '.gitlab-ci.yml': 'stages: [test]\nvalidate:\n  script: ["image-gitops validate ."]\n',
    'chart/values.yaml': 'replicaCount: 2\nimage:\n  tag: latest\n',
    'kustomization.yaml':
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\n',
    'ansible.yml': '- hosts: all\n  tasks: []\n',
    'prepull.yaml': PREPULL,
  };

  it('are skipped and listed as ignored, with the rule, not reported as problems', () => {
    const loaded = load(ci);
    assert.deepEqual(problemsOf(loaded), []);
    assert.deepEqual(
      loaded.manifests.map((m) => m.key),
      ['ImagePrepull/tools'],
    );
    assert.deepEqual(loaded.ignored.map((i) => i.file).sort(), [
      '.github/workflows/ci.yaml',
      '.gitlab-ci.yml',
      'ansible.yml',
      'chart/values.yaml',
      'kustomization.yaml',
    ]);
    const kustomization = loaded.ignored.find((i) => i.file === 'kustomization.yaml');
    assert.match(
      kustomization?.reason ?? '',
      /not an image-gitops manifest \(apiVersion kustomize\.config\.k8s\.io\/v1beta1 kind Kustomization\)/,
    );
  });

  it('skips a plain Kubernetes object next to a manifest, naming its line', () => {
    const loaded = load({
      'mixed.yaml': `${PREPULL}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n`,
    });
    assert.deepEqual(problemsOf(loaded), []);
    assert.deepEqual(loaded.ignored, [
      { file: 'mixed.yaml', line: 10, reason: 'not an image-gitops manifest (apiVersion v1 kind ConfigMap)' },
    ]);
  });

  it('still refuses a document with our apiVersion or one of our kinds in a wrong shape', () => {
    const wrongShape = load({ 'a.yaml': PREPULL.replace('  images:', '  imagez:') });
    assert.equal(wrongShape.invalid.length, 1);
    const typo = load({ 'a.yaml': PREPULL.replace('kind: ImagePrepull', 'kind: ImagePrepul') });
    assert.equal(typo.invalid[0]?.problems[0]?.code, 'UNKNOWN_KIND');
    const noApiVersion = load({ 'a.yaml': PREPULL.replace('apiVersion: image-gitops.io/v1alpha1\n', '') });
    assert.equal(noApiVersion.invalid.length, 1, 'a known kind without apiVersion is ours, and wrong');
    assert.deepEqual(noApiVersion.ignored, []);
  });
});

describe('cron schedules, as the API server parses them', () => {
  const accepted = [
    '*/5 * * * *',
    '0 0 * * MON',
    '0 0 * * mon-fri',
    '0 0 ? * *',
    '0 0 1 JAN *',
    '0 0 31 2 *',
    '1,2,3 * * * *',
    '0-59/15 * * * *',
    '5/15 * * * *',
    '@daily',
    '@every 1h30m',
  ];
  const refused = [
    '99 99 99 99 99',
    '60 * * * *',
    '0 24 * * *',
    '0 0 0 * *',
    '0 0 * 13 *',
    '0 0 * * 7',
    '0 0 L * *',
    '0 0 1W * *',
    '0 0 * * 5#3',
    '* * * * * *',
    '*/0 * * * *',
    '5-1 * * * *',
    '1-2-3 * * * *',
    'a * * * *',
    '@sometimes',
    'CRON_TZ=UTC 0 0 * * *',
  ];
  for (const schedule of accepted)
    it(`accepts ${schedule}`, () => assert.equal(cronJobScheduleProblem(schedule), undefined));
  for (const schedule of refused)
    it(`refuses ${schedule}`, () => assert.ok(cronJobScheduleProblem(schedule)));
});

const IMAGE_SYNC_RECURRENT = `apiVersion: image-gitops.io/v1alpha1
kind: ImageSync
metadata:
  name: nightly
spec:
  source:
    image: nginx
    tag: "1.27"
  destination:
    image: registry.example.com/mirror/nginx
  schedule: "99 99 99 99 99"
`;

const IMAGE_BUILD = `apiVersion: image-gitops.io/v1alpha1
kind: ImageBuild
metadata:
  name: app
spec:
  image: registry.example.com/team/app
  context:
    path: ../../etc
`;

describe('validate refuses what the sync refuses', () => {
  it('a schedule the API server would refuse, at /spec/schedule', () => {
    const loaded = load({ 'sync.yaml': IMAGE_SYNC_RECURRENT });
    const problem = loaded.invalid[0]?.problems[0];
    assert.equal(problem?.code, 'INVALID_SPEC');
    assert.equal(problem?.location?.field, '/spec/schedule');
    assert.equal(problem?.location?.line, 11);
    assert.match(
      problem?.message ?? '',
      /"99 99 99 99 99" is not a valid cron schedule: end of range \(99\) above maximum \(59\)/,
    );
    assert.equal(
      load({ 'sync.yaml': IMAGE_SYNC_RECURRENT.replace('99 99 99 99 99', '0 3 * * *') }).invalid.length,
      0,
    );
  });

  it('a build context or Dockerfile leaving the repo', () => {
    const loaded = load({ 'build.yaml': IMAGE_BUILD });
    assert.deepEqual(problemsOf(loaded), [
      'INVALID_SPEC /spec/context/path context path "../../etc" leaves the repo',
    ]);
    const dockerfile = load({
      'build.yaml': IMAGE_BUILD.replace('../../etc', 'app').concat('  dockerfile: ../Dockerfile\n'),
    });
    assert.deepEqual(problemsOf(dockerfile), [
      'INVALID_SPEC /spec/dockerfile Dockerfile "../Dockerfile" leaves the context folder',
    ]);
  });
});

const MIRROR = `apiVersion: image-gitops.io/v1alpha1
kind: RegistryMirror
metadata:
  name: hub
spec:
  upstreamUrl: docker.io
`;

describe('RegistryMirror host folders and upstreams', () => {
  it('refuses nodes.certsDir: the host folder is the operator setting CONTAINERD_CONFIG_PATH', () => {
    const loaded = load({ 'm.yaml': `${MIRROR}  nodes:\n    certsDir: /etc\n` });
    const problem = loaded.invalid[0]?.problems[0];
    assert.equal(problem?.location?.field, '/spec/nodes/certsDir');
    assert.match(problem?.message ?? '', /CONTAINERD_CONFIG_PATH/);
  });

  it('writes hosts.toml under CONTAINERD_CONFIG_PATH', () => {
    const manifest = load({ 'm.yaml': MIRROR }).manifests[0] as Manifest<never>;
    const objects = registryMirrorKind.render(manifest, {
      namespace: 'ns',
      settings: {
        ...DEFAULT_SETTINGS,
        containerdConfigPath: '/var/lib/rancher/k3s/agent/etc/containerd/certs.d',
      },
      commit: { sha: 'c', author: 'a', date: '2026-01-01T00:00:00Z', message: 'm' },
      live: [],
      observed: undefined,
    });
    const daemonSet = objects.find((o) => o.kind === 'DaemonSet');
    assert.match(
      JSON.stringify(daemonSet),
      /"hostPath":\{"path":"\/var\/lib\/rancher\/k3s\/agent\/etc\/containerd\/certs\.d"/,
    );
  });

  for (const upstream of [
    '..',
    '.',
    'a..b',
    '-x.io',
    'x-.io',
    'registry.io:0',
    'registry.io:70000',
    'a/..',
    'http://..',
  ]) {
    it(`refuses upstreamUrl ${upstream}`, () => {
      const loaded = load({ 'm.yaml': MIRROR.replace('docker.io', JSON.stringify(upstream)) });
      assert.equal(loaded.manifests.length, 0, upstream);
      assert.equal(loaded.invalid[0]?.problems[0]?.location?.field, '/spec/upstreamUrl');
    });
  }
  for (const upstream of [
    'docker.io',
    'quay.io',
    'registry.example.com:5000',
    'https://10.0.0.1:5443/',
    'http://my-registry',
  ]) {
    it(`accepts upstreamUrl ${upstream}`, () => {
      const loaded = load({ 'm.yaml': MIRROR.replace('docker.io', JSON.stringify(upstream)) });
      assert.equal(loaded.manifests.length, 1, JSON.stringify(loaded.invalid));
    });
  }
});
