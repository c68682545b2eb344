// The reconciler's start-up configuration (src/config/reconciler-config.ts) as the pod gets it: Secrets
// mounted as files (`*_FILE`), git credentials checked by a real git server, SYNC_REGISTRIES, the namespace
// from the downward API (POD_NAMESPACE), and two instances side by side in one namespace on the control plane.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configFromEnv, type ReconcilerConfig } from '../../src/config/reconciler-config.js';
import { Reconciler } from '../../src/engine/reconciler.js';
import { KubeClient } from '../../src/kube/client.js';
import { resolveRegistry } from '../../src/registry/registry-access.js';
import { GitSource } from '../../src/source/git-source.js';
import { controlPlane } from '../support/control-plane.js';
import { prepullManifest } from '../support/engine-harness.js';
import { type GitServerAuth, startGitServer, type TestGitServer } from '../support/git-server.js';
import { makeTempDir } from '../support/tmp.js';

// Test fixtures, compared without printing them (assert.ok, not assert.equal).
const PASSWORD = 'file-password-not-for-output';
const TOKEN = 'file-token-not-for-output';
const WEBHOOK = 'file-webhook-secret-not-for-output';

const DAEMONSET = { apiVersion: 'apps/v1', kind: 'DaemonSet' } as const;

/** A mounted Secret key: the file holds the value and a trailing newline, as `kubectl create secret` leaves it. */
function secretFile(value: string): string {
  const path = join(makeTempDir('secret-file'), 'value');
  writeFileSync(path, `${value}\n`);
  return path;
}

/** Fetches the repository with the credentials the configuration carries: the git server checks them. */
async function fetchWith(config: ReconcilerConfig): Promise<string[]> {
  const source = new GitSource({
    url: config.git.url,
    cacheDir: makeTempDir('git-cache'),
    ...(config.git.credentials ? { credentials: config.git.credentials } : {}),
  });
  const snapshot = await source.snapshotAt(await source.resolveRemoteCommit());
  return snapshot.files.map((f) => f.path);
}

describe('reconciler configuration from the environment', function () {
  this.timeout(120_000);
  let git: TestGitServer | undefined;
  afterEach(async () => {
    await git?.stop();
    git = undefined;
  });

  async function privateRepo(auth: GitServerAuth): Promise<string> {
    git = await startGitServer({ auth });
    return git.createRepo('private', { 'a.yaml': 'kind: A\n' });
  }

  it('reads GIT_USERNAME_FILE, GIT_PASSWORD_FILE and WEBHOOK_SECRET_FILE (trimmed) over the plain variables', async () => {
    const url = await privateRepo({ username: 'gitops', password: PASSWORD });
    const config = configFromEnv({
      GIT_URL: url,
      GIT_USERNAME: 'wrong-user',
      GIT_USERNAME_FILE: secretFile('gitops'),
      GIT_PASSWORD: 'wrong-password',
      GIT_PASSWORD_FILE: secretFile(PASSWORD),
      WEBHOOK_SECRET: 'wrong-webhook',
      WEBHOOK_SECRET_FILE: secretFile(WEBHOOK),
    });
    assert.ok(config.webhookSecret === WEBHOOK, 'the webhook secret is the file content without its newline');
    assert.ok(config.git.credentials?.password === PASSWORD, 'the git password is the file content');
    assert.deepEqual(
      await fetchWith(config),
      ['a.yaml'],
      'the git server accepts the credentials from files',
    );
  });

  it('sends GIT_TOKEN(_FILE) as the Basic password (x-access-token, or GIT_USERNAME), the way GitHub takes it', async () => {
    const url = await privateRepo({ username: 'x-access-token', password: TOKEN });
    const config = configFromEnv({ GIT_URL: url, GIT_TOKEN_FILE: secretFile(TOKEN) });
    assert.equal(config.git.credentials?.scheme, 'basic');
    assert.deepEqual(await fetchWith(config), ['a.yaml']);
    await git!.stop();

    const named = await privateRepo({ username: 'ci-bot', password: TOKEN });
    assert.deepEqual(
      await fetchWith(configFromEnv({ GIT_URL: named, GIT_USERNAME: 'ci-bot', GIT_TOKEN: TOKEN })),
      ['a.yaml'],
    );
  });

  it('sends the token as a bearer header with GIT_AUTH_SCHEME=bearer, and as Basic without it', async () => {
    const url = await privateRepo({ token: TOKEN });
    const bearer = configFromEnv({ GIT_URL: url, GIT_TOKEN: TOKEN, GIT_AUTH_SCHEME: 'bearer' });
    assert.equal(bearer.git.credentials?.scheme, 'bearer');
    assert.deepEqual(await fetchWith(bearer), ['a.yaml']);
    // The same token as Basic is refused by a server that wants a bearer token: the scheme is what decides.
    await assert.rejects(fetchWith(configFromEnv({ GIT_URL: url, GIT_TOKEN: TOKEN })), (error: Error) => {
      assert.ok(!error.message.includes(TOKEN), 'no token in the error');
      return /GIT_AUTH|auth|401/i.test(`${(error as { code?: string }).code ?? ''} ${error.message}`);
    });
  });

  it('takes SYNC_REGISTRIES as the registries every manifest falls back on, and refuses a malformed one', () => {
    const config = configFromEnv({
      GIT_URL: 'http://127.0.0.1:1/repo.git',
      NAMESPACE: 'gitops',
      SYNC_REGISTRIES: JSON.stringify([
        { host: '127.0.0.1:5000', tlsVerify: false },
        { host: 'registry.internal', credentialsSecret: 'pull', secretNamespace: 'shared' },
      ]),
    });
    assert.deepEqual(config.settings.registries, [
      { host: '127.0.0.1:5000', tlsVerify: false },
      { host: 'registry.internal', credentialsSecret: 'pull', secretNamespace: 'shared' },
    ]);
    const plain = resolveRegistry('127.0.0.1:5000', {}, config.settings, 'team');
    assert.equal(plain.tlsVerify, false);
    const internal = resolveRegistry('registry.internal', {}, config.settings, 'team');
    assert.deepEqual(internal.credentialsSecret, { namespace: 'shared', name: 'pull' });
    assert.equal(internal.tlsVerify, true);
    // The manifest's own entry wins over the shared one.
    assert.equal(
      resolveRegistry(
        '127.0.0.1:5000',
        { registries: [{ host: '127.0.0.1:5000', tlsVerify: true }] },
        config.settings,
        'team',
      ).tlsVerify,
      true,
    );
    for (const bad of ['{"host":"a"}', '[{"name":"a"}]', '[1]']) {
      assert.throws(
        () => configFromEnv({ GIT_URL: 'http://x/r.git', SYNC_REGISTRIES: bad }),
        /SYNC_REGISTRIES/,
      );
    }
  });

  it('lives in POD_NAMESPACE (the downward API) unless NAMESPACE says otherwise; bare RECONCILER_SECRETS are there', () => {
    const base = { GIT_URL: 'http://127.0.0.1:1/repo.git', RECONCILER_SECRETS: 'git-creds' };
    const fromPod = configFromEnv({ ...base, POD_NAMESPACE: 'from-pod' });
    assert.equal(fromPod.namespace, 'from-pod');
    assert.deepEqual(fromPod.settings.manifestSecrets.reserved, [
      { namespace: 'from-pod', name: 'git-creds' },
    ]);
    const told = configFromEnv({ ...base, POD_NAMESPACE: 'from-pod', NAMESPACE: 'told' });
    assert.equal(told.namespace, 'told');
    assert.deepEqual(told.settings.manifestSecrets.reserved, [{ namespace: 'told', name: 'git-creds' }]);
    assert.equal(configFromEnv(base).namespace, 'image-gitops');
  });

  it('runs two instances side by side in one namespace: each applies, reports and prunes only its own', async () => {
    const cp = await controlPlane();
    const namespace = await cp.newNamespace('two-instances');
    git = await startGitServer();
    const urlA = await git.createRepo('team-a', {
      'a1.yaml': prepullManifest('a1', { busybox: 'busybox:1.36' }),
      'a2.yaml': prepullManifest('a2', { busybox: 'busybox:1.36' }),
      'a3.yaml': prepullManifest('a3', { busybox: 'busybox:1.36' }),
    });
    const urlB = await git.createRepo('team-b', {
      'b.yaml': prepullManifest('b', { busybox: 'busybox:1.36' }),
    });
    const instance = (name: string, url: string) =>
      configFromEnv({
        GIT_URL: url,
        POD_NAMESPACE: namespace,
        KUBECONFIG: cp.kubeconfigPath,
        GIT_CACHE_DIR: join(makeTempDir(`git-cache-${name}`), 'repo'),
        IMAGE_GITOPS_INSTANCE: name,
        LEASE_NAME: `${name}-leader`,
      });
    const [configA, configB] = [instance('team-a', urlA), instance('team-b', urlB)];
    assert.notEqual(configA.leaderElection.leaseName, configB.leaderElection.leaseName);
    const kube = KubeClient.fromKubeconfig(cp.kubeconfigPath, { userAgent: 'two-instances' });
    try {
      const a = new Reconciler({ config: configA, kube });
      const b = new Reconciler({ config: configB, kube });
      const mark = cp.auditEvents().length;
      const first = await a.sync('manual');
      const second = await b.sync('manual');
      assert.equal(first.result, 'Succeeded', JSON.stringify(first.error));
      assert.equal(second.result, 'Succeeded', JSON.stringify(second.error ?? second.counts));
      assert.equal(second.counts.pruned, 0, "team-b prunes none of team-a's objects");
      assert.deepEqual((await kube.list(DAEMONSET, namespace)).map((d) => d.metadata.name).sort(), [
        'a1',
        'a2',
        'a3',
        'b',
      ]);
      assert.deepEqual(
        second.manifests.map((m) => m.key),
        ['ImagePrepull/b'],
      );
      assert.equal(
        (await a.sync('schedule')).result,
        'NoChange',
        "team-a sees team-b's objects as not its own",
      );

      // team-a drops a manifest: only its object goes.
      await git.commitFiles('team-a', { 'a3.yaml': null }, 'drop a3');
      const pruned = await a.sync('schedule');
      assert.equal(pruned.counts.pruned, 1);
      assert.deepEqual((await kube.list(DAEMONSET, namespace)).map((d) => d.metadata.name).sort(), [
        'a1',
        'a2',
        'b',
      ]);
      const deletes = cp
        .auditEvents()
        .slice(mark)
        .filter(
          (e) =>
            e.userAgent === 'two-instances' && e.verb === 'delete' && e.objectRef?.resource === 'daemonsets',
        );
      assert.deepEqual(
        deletes.map((e) => e.objectRef?.name),
        ['a3'],
      );
    } finally {
      kube.close();
    }
  });
});
