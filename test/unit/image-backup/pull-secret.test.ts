// The pull credentials of ImageBackup's rewrite: which pull Secrets are rendered where, what they hold, and
// how the rewrite's server-side-apply patch carries (and, on undo, drops) its imagePullSecrets entry.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { unifiedDiff } from '../../../src/cli/format.js';
import { DEFAULT_SETTINGS } from '../../../src/config/settings.js';
import { ImageGitopsError } from '../../../src/core/errors.js';
import type { KubeObject } from '../../../src/core/kube-object.js';
import { canonicalRef } from '../../../src/kinds/image-backup/images.js';
import { imageBackupKind } from '../../../src/kinds/image-backup/index.js';
import type { BackupState, ImageBackupObserved } from '../../../src/kinds/image-backup/observe.js';
import { pullAuthFile, pullSecretName } from '../../../src/kinds/image-backup/pull-secret.js';
import { renderImageBackup } from '../../../src/kinds/image-backup/render.js';
import {
  planWorkloadRestores,
  planWorkloadRewrites,
  type WorkloadRewrite,
} from '../../../src/kinds/image-backup/rewrite.js';
import type { ImageBackupSpec } from '../../../src/kinds/image-backup/types.js';
import { readWorkload, type WorkloadImages } from '../../../src/kinds/image-backup/workloads.js';
import type { Manifest } from '../../../src/manifests/types.js';
import { type AuthFile, buildAuthFile } from '../../../src/registry/credentials.js';
import { podSpec, workload } from './fixtures.js';

const HOST = 'registry.example.com';
const BACKUP = `${HOST}/backup`;
const KEY = 'ImageBackup/image-gitops/all';
const OURS = pullSecretName(KEY);
const RECORD = 'image-gitops.io/backup-rewrite';
const READ = { username: 'robot$reader', password: 'read-only-s3cret' };
const PUSH = { username: 'robot$pusher', password: 'push-s3cret' };
const PULL_AUTH: AuthFile = buildAuthFile(new Map([[HOST, READ]]));
const READY = { 'nginx:1.23': 'upToDate' } as const;

function dockerConfig(auths: Record<string, { username: string; password: string }>): string {
  const entries = Object.entries(auths).map(([host, c]) => [
    host,
    { auth: Buffer.from(`${c.username}:${c.password}`).toString('base64') },
  ]);
  return JSON.stringify({ auths: Object.fromEntries(entries) });
}

function observedOf(
  objects: KubeObject[],
  states: Record<string, BackupState>,
  withPullSecret = true,
): ImageBackupObserved {
  return {
    manifestKey: KEY,
    workloads: objects.map((o) => readWorkload(o) as WorkloadImages),
    images: Object.entries(states).map(([image, state]) => ({
      sourceRef: canonicalRef(image)!,
      backup: '',
      state,
    })),
    pending: [],
    files: { cas: {} },
    ...(withPullSecret ? { pullAuth: PULL_AUTH } : {}),
    message: '',
  };
}

function manifest(spec: Partial<ImageBackupSpec>): Manifest<ImageBackupSpec> {
  return {
    key: KEY,
    kind: 'ImageBackup',
    name: 'all',
    namespace: 'image-gitops',
    spec: { backupRegistry: BACKUP, ...spec },
    origin: { file: 'backup.yaml', line: 1, apiVersion: 'image-gitops.io/v1alpha1', kind: 'ImageBackup' },
  };
}

function render(spec: Partial<ImageBackupSpec>, observed: ImageBackupObserved): KubeObject[] {
  return renderImageBackup(manifest(spec), {
    namespace: 'image-gitops',
    settings: DEFAULT_SETTINGS,
    commit: { sha: 'abc', author: 'a', date: '2026-01-01T00:00:00Z', message: 'm' },
    live: [],
    observed,
  });
}

const pullSecretsOf = (objects: KubeObject[]) => objects.filter((o) => o.metadata.name === OURS);

/** A Deployment with a pull Secret of its own (`regcred`), as its owner applied it. */
function deployment(name = 'web', namespace = 'apps'): KubeObject {
  return workload(
    'Deployment',
    name,
    { ...podSpec([{ name: 'app', image: 'nginx:1.23' }]), imagePullSecrets: [{ name: 'regcred' }] },
    { namespace },
  );
}

type PodView = {
  containers: Array<{ name: string; image: string }>;
  imagePullSecrets?: Array<{ name: string }>;
};
const templateOf = (o: KubeObject) => (o.spec as { template: { spec: PodView } }).template.spec;

/**
 * The workload after the API server merged the patch as server-side apply does for our field manager:
 * images by container name, our annotations replaced, and in the imagePullSecrets list map (keyed by name)
 * our one entry added, or dropped when the patch no longer holds it; the owner's entries are not ours.
 */
function applied(object: KubeObject, rewrite: WorkloadRewrite): KubeObject {
  const copy = structuredClone(object);
  const annotations = { ...(copy.metadata.annotations ?? {}) };
  delete annotations['image-gitops.io/original-images'];
  delete annotations[RECORD];
  copy.metadata.annotations = { ...annotations, ...(rewrite.patch.metadata.annotations ?? {}) };
  const target = templateOf(copy);
  const patch = rewrite.patch.spec ? templateOf(rewrite.patch) : undefined;
  for (const c of patch?.containers ?? []) {
    const live = target.containers.find((x) => x.name === c.name);
    if (live) live.image = c.image;
  }
  const owners = (target.imagePullSecrets ?? []).filter((s) => s.name !== OURS);
  target.imagePullSecrets = [...owners, ...(patch?.imagePullSecrets ?? [])];
  return copy;
}

describe('ImageBackup pull Secret', () => {
  describe('pullAuthFile', () => {
    it('keeps the backup registry host only, however the docker config spells it', () => {
      const config = dockerConfig({ [`https://${HOST}`]: READ, 'quay.io': PUSH, 'docker.io': PUSH });
      const auth = pullAuthFile({ '.dockerconfigjson': config }, HOST, 'pullSecret');
      assert.deepEqual(Object.keys(auth.auths), [HOST]);
      assert.equal(
        Buffer.from(auth.auths[HOST]!.auth, 'base64').toString(),
        `${READ.username}:${READ.password}`,
      );
    });

    const refusals: Array<[string, Record<string, string>, RegExp]> = [
      ['a Secret without .dockerconfigjson', { username: 'u', password: READ.password }, /dockerconfigjson/],
      [
        'a docker config without the backup host',
        { '.dockerconfigjson': dockerConfig({ 'quay.io': READ }) },
        /no entry for the backup registry registry\.example\.com/,
      ],
      [
        'a docker config that is not JSON',
        { '.dockerconfigjson': `{"auths": ${READ.password}}` },
        /not valid JSON/,
      ],
      ['the push credentials', { '.dockerconfigjson': dockerConfig({ [HOST]: PUSH }) }, /read-only account/],
    ];
    for (const [what, data, message] of refusals) {
      it(`refuses ${what}, naming the Secret and never a value`, () => {
        assert.throws(
          () => pullAuthFile(data, HOST, 'pullSecret: Secret image-gitops/backup-pull', PUSH),
          (error: unknown) => {
            assert.ok(error instanceof ImageGitopsError);
            assert.equal(error.code, 'INVALID_SPEC');
            assert.match(error.message, message);
            assert.match(error.message, /Secret image-gitops\/backup-pull/);
            for (const value of [READ.password, PUSH.password, 'cm9ib3Q'])
              assert.ok(!error.message.includes(value));
            return true;
          },
        );
      });
    }
  });

  describe('render', () => {
    it('renders one pull Secret per namespace of rewritten workloads, holding the backup host only', () => {
      const objects = [deployment('web', 'apps'), deployment('api', 'apps'), deployment('web', 'shop')];
      const secrets = pullSecretsOf(
        render({ rewrite: true, pullSecret: 'backup-pull' }, observedOf(objects, READY)),
      );
      assert.deepEqual(
        secrets.map((s) => s.metadata.namespace),
        ['apps', 'shop'],
      );
      const [secret] = secrets;
      assert.equal(secret?.type, 'kubernetes.io/dockerconfigjson');
      assert.match(OURS, /^image-gitops-backup-pull-[0-9a-f]{6}$/);
      const data = secret?.data as Record<string, string>;
      assert.deepEqual(Object.keys(data), ['.dockerconfigjson']);
      assert.deepEqual(JSON.parse(Buffer.from(data['.dockerconfigjson']!, 'base64').toString()), PULL_AUTH);
    });

    it('renders none without pullSecret, before a copy is ready, or where no workload is rewritten', () => {
      const objects = [deployment()];
      assert.deepEqual(pullSecretsOf(render({ rewrite: true }, observedOf(objects, READY, false))), []);
      const pending = { 'nginx:1.23': 'pending' } as const;
      assert.deepEqual(
        pullSecretsOf(render({ rewrite: true, pullSecret: 'p' }, observedOf(objects, pending))),
        [],
      );
      assert.deepEqual(
        pullSecretsOf(render({ rewrite: false, pullSecret: 'p' }, observedOf(objects, READY))),
        [],
      );
    });

    it('names the pull Secret after its manifest, so that two ImageBackups never render the same object', () => {
      assert.notEqual(pullSecretName('ImageBackup/a/x'), pullSecretName('ImageBackup/b/x'));
      assert.equal(pullSecretName(KEY), OURS);
    });

    it('keeps the pull Secret while a workload still carries it, and lets it go once the undo is applied', () => {
      const spec = { rewrite: true, pullSecret: 'backup-pull' };
      const [rewrite] = planWorkloadRewrites(observedOf([deployment()], READY), {
        backupRegistry: BACKUP,
        ...spec,
      });
      const rewritten = applied(deployment(), rewrite!);
      const off = { ...spec, rewrite: false };
      assert.equal(
        pullSecretsOf(render(off, observedOf([rewritten], READY))).length,
        1,
        'undo not yet applied',
      );
      const [undo] = planWorkloadRewrites(observedOf([rewritten], READY), { backupRegistry: BACKUP, ...off });
      const restored = applied(rewritten, undo!);
      assert.deepEqual(pullSecretsOf(render(off, observedOf([restored], READY))), [], 'pruned next sync');
    });
  });

  describe('rewrite patch', () => {
    const spec = { backupRegistry: BACKUP, rewrite: true };

    it('adds our pull Secret, and only it, to imagePullSecrets, and records it', () => {
      const [rewrite] = planWorkloadRewrites(observedOf([deployment()], READY), spec);
      assert.deepEqual(templateOf(rewrite!.patch), {
        containers: [{ name: 'app', image: `${BACKUP}/index_docker_io/library/nginx:1.23` }],
        imagePullSecrets: [{ name: OURS }],
      });
      assert.deepEqual(JSON.parse(rewrite!.patch.metadata.annotations![RECORD]!), {
        manifest: KEY,
        backupRegistry: BACKUP,
        pullSecret: OURS,
      });
      const merged = applied(deployment(), rewrite!);
      assert.deepEqual(templateOf(merged).imagePullSecrets, [{ name: 'regcred' }, { name: OURS }]);
      assert.deepEqual(planWorkloadRewrites(observedOf([merged], READY), spec), [], 'steady state');
    });

    it('holds no imagePullSecrets without pullSecret', () => {
      const [rewrite] = planWorkloadRewrites(observedOf([deployment()], READY, false), spec);
      assert.equal(templateOf(rewrite!.patch).imagePullSecrets, undefined);
      assert.deepEqual(JSON.parse(rewrite!.patch.metadata.annotations![RECORD]!), {
        manifest: KEY,
        backupRegistry: BACKUP,
      });
    });

    it('puts our entry back when it was taken out of the workload', () => {
      const [rewrite] = planWorkloadRewrites(observedOf([deployment()], READY), spec);
      const merged = applied(deployment(), rewrite!);
      templateOf(merged).imagePullSecrets = [{ name: 'regcred' }];
      const [again] = planWorkloadRewrites(observedOf([merged], READY), spec);
      assert.deepEqual(templateOf(again!.patch).imagePullSecrets, [{ name: OURS }]);
    });

    it('drops our entry on undo (rewrite off, manifest removed, pullSecret removed), the workload’s own staying', () => {
      const [rewrite] = planWorkloadRewrites(observedOf([deployment()], READY), spec);
      const merged = applied(deployment(), rewrite!);
      const [off] = planWorkloadRewrites(observedOf([merged], READY), { ...spec, rewrite: false });
      const [removed] = planWorkloadRestores([readWorkload(merged) as WorkloadImages], new Set());
      const [noPull] = planWorkloadRewrites(observedOf([merged], READY, false), spec);
      for (const [what, undo] of [
        ['rewrite off', off],
        ['manifest removed', removed],
        ['pullSecret removed', noPull],
      ] as const) {
        assert.ok(undo, what);
        const patch = undo.patch.spec ? templateOf(undo.patch) : undefined;
        assert.equal(patch?.imagePullSecrets, undefined, what);
        assert.deepEqual(templateOf(applied(merged, undo)).imagePullSecrets, [{ name: 'regcred' }], what);
      }
      assert.equal(
        templateOf(applied(merged, noPull!)).containers[0]?.image,
        templateOf(merged).containers[0]?.image,
      );
    });

    it('leaves bare Pods on their images when a pull Secret is needed (a Pod’s imagePullSecrets cannot change)', () => {
      const pod = workload('Pod', 'debug', podSpec([{ name: 'a', image: 'nginx:1.23' }]), {
        namespace: 'apps',
      });
      assert.deepEqual(planWorkloadRewrites(observedOf([pod], READY), spec), []);
      assert.deepEqual(
        pullSecretsOf(render({ rewrite: true, pullSecret: 'p' }, observedOf([pod], READY))),
        [],
      );
      const [before] = planWorkloadRewrites(observedOf([pod], READY, false), spec);
      const rewritten = workload('Pod', 'debug', before!.patch.spec as Record<string, unknown>, {
        namespace: 'apps',
        annotations: before!.patch.metadata.annotations!,
      });
      const [undo] = planWorkloadRewrites(observedOf([rewritten], READY), spec);
      assert.equal(undo?.action, 'restore', 'a Pod rewritten before pullSecret was set goes back');
    });
  });

  describe('spec', () => {
    const schema = JSON.parse(readFileSync(join('schemas', imageBackupKind.schemaFile), 'utf8')) as object;
    const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);
    const doc = (spec: Record<string, unknown>) => ({
      apiVersion: 'image-gitops.io/v1alpha1',
      kind: 'ImageBackup',
      metadata: { name: 'x' },
      spec: { backupRegistry: BACKUP, ...spec },
    });

    it('takes pullSecret as a Secret name', () => {
      assert.ok(validate(doc({ rewrite: true, pullSecret: 'backup-pull' })), JSON.stringify(validate.errors));
      assert.equal(validate(doc({ pullSecret: 'Not A Name' })), false);
      assert.equal(validate(doc({ pullSecret: { name: 'x' } })), false);
    });

    it('refuses the push credentials Secret of the backup registry as pullSecret', () => {
      const registries = [{ host: `https://${HOST}`, credentialsSecret: 'backup-push' }];
      assert.deepEqual(
        imageBackupKind
          .check?.({ backupRegistry: BACKUP, pullSecret: 'backup-push', registries })
          .map((p) => p.field),
        ['/spec/pullSecret'],
      );
      assert.deepEqual(
        imageBackupKind.check?.({ backupRegistry: BACKUP, pullSecret: 'backup-pull', registries }),
        [],
      );
    });
  });

  it('shows no credential in the diff of a pull Secret', () => {
    const [secret] = pullSecretsOf(
      render({ rewrite: true, pullSecret: 'p' }, observedOf([deployment()], READY)),
    );
    const other = {
      ...secret!,
      data: { '.dockerconfigjson': Buffer.from('{"auths":{}}').toString('base64') },
    };
    const encoded = (secret!.data as Record<string, string>)['.dockerconfigjson']!;
    for (const text of [unifiedDiff('s', undefined, secret), unifiedDiff('s', other, secret)]) {
      assert.ok(!text.includes(encoded) && !text.includes(READ.password), text);
      assert.match(text, /\.dockerconfigjson/);
    }
    assert.match(
      unifiedDiff('s', other, secret),
      /^[-+].*\.dockerconfigjson/m,
      'a changed value still shows',
    );
  });
});
