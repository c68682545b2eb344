// The chart's status page and notifier settings: off by default; when given Secrets, each `_FILE` setting
// points into a read-only mount of the named Secret, those Secrets are reserved from manifests, and the
// API server accepts the Deployment (server-side dry-run).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../src/core/kube-object.js';
import { controlPlane } from '../support/control-plane.js';

const root = process.cwd();
const CHART = join(root, 'deploy', 'helm', 'image-gitops');

// biome-ignore lint/suspicious/noExplicitAny: rendered objects are free-form YAML
type Loose = any;

function helmBinary(): string {
  const out = execFileSync('bash', [join(root, 'test', 'kube', 'build-helm.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return out.trim().split('\n').pop()!;
}

describe('the chart: status page and notifier settings', function () {
  this.timeout(300_000);
  let helm: string;
  before(() => {
    helm = helmBinary();
  });
  const deployment = (namespace: string, ...extra: string[]): Loose => {
    const objects = parseAllDocuments(
      execFileSync(helm, ['template', 'r', CHART, '--namespace', namespace, ...extra], { encoding: 'utf8' }),
    )
      .map((d) => d.toJSON() as KubeObject | null)
      .filter((o): o is KubeObject => o !== null);
    return objects.find((o) => o.kind === 'Deployment');
  };
  const envOf = (d: Loose): Record<string, string> =>
    Object.fromEntries(d.spec.template.spec.containers[0].env.map((e: Loose) => [e.name, e.value]));

  it('mounts the Secrets it is given, points the _FILE settings into them, and reserves them', async () => {
    const cp = await controlPlane();
    const namespace = await cp.newNamespace('helm-observability');
    const plain = envOf(deployment(namespace));
    assert.equal(plain.STATUS_PAGE_TOKEN_FILE, undefined);
    assert.equal(plain.NOTIFY_WEBHOOK_URL_FILE, undefined);
    assert.equal(plain.HISTORY_LIMIT, '20');

    const d = deployment(
      namespace,
      '--set',
      'statusPage.existingSecret=page-token',
      '--set',
      'statusPage.sourceUrl=https://github.com/org/cfg/blob/{commit}/{path}#L{line}',
      '--set',
      'notifications.existingSecret=team-hook',
      '--set',
      'notifications.signed=true',
      '--set',
      'notifications.format=json',
    );
    const env = envOf(d);
    const pod = d.spec.template.spec;
    const mounts = pod.containers[0].volumeMounts as Array<{
      name: string;
      mountPath: string;
      readOnly?: boolean;
    }>;
    const secretOf = (path: string) => {
      const mount = mounts.find((m) => path.startsWith(`${m.mountPath}/`));
      assert.ok(mount?.readOnly, path);
      const volume = pod.volumes.find((v: Loose) => v.name === mount.name);
      return `${volume.secret.secretName}/${path.slice(mount.mountPath.length + 1)}`;
    };
    assert.equal(secretOf(env.STATUS_PAGE_TOKEN_FILE!), 'page-token/token');
    assert.equal(secretOf(env.NOTIFY_WEBHOOK_URL_FILE!), 'team-hook/url');
    assert.equal(secretOf(env.NOTIFY_WEBHOOK_SECRET_FILE!), 'team-hook/secret');
    assert.equal(env.NOTIFY_WEBHOOK_FORMAT, 'json');
    assert.equal(env.STATUS_PAGE_SOURCE_URL, 'https://github.com/org/cfg/blob/{commit}/{path}#L{line}');
    assert.deepEqual(env.RECONCILER_SECRETS?.split(','), [
      'r-image-gitops-git',
      'r-image-gitops-webhook',
      'page-token',
      'team-hook',
    ]);
    const stored = await cp.kubeApi.apply(d as KubeObject, { dryRun: true });
    assert.equal(stored.kind, 'Deployment');
  });
});
