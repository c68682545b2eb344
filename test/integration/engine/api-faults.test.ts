// What the API server answers when it is busy, racing or broken, provoked for real (no fake server): a 409
// from a Lease write that lost a race, a 429 from kube-apiserver's own in-flight limit, a 500 from a failing
// admission webhook, and a 422 "field is immutable" that makes the engine replace a Job.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { createServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { configFromEnv } from '../../../src/config/reconciler-config.js';
import type { KubeObject } from '../../../src/core/kube-object.js';
import { Reconciler } from '../../../src/engine/reconciler.js';
import { KubeClient } from '../../../src/kube/client.js';
import { KubeApiError } from '../../../src/kube/errors.js';
import { LeaderElector, type LeaseSpec, microTime } from '../../../src/run/leader.js';
import { selfSignedCa, signedCertificate } from '../../support/certs.js';
import { type ControlPlane, controlPlane, startControlPlane } from '../../support/control-plane.js';
import { ENGINE_USER_AGENT, prepullManifest, startEngine } from '../../support/engine-harness.js';
import { startGitServer, type TestGitServer } from '../../support/git-server.js';
import { waitFor } from '../../support/processes.js';
import { makeTempDir } from '../../support/tmp.js';

const DAEMONSET = { apiVersion: 'apps/v1', kind: 'DaemonSet' } as const;
const JOB = { apiVersion: 'batch/v1', kind: 'Job' } as const;

/** The real client, with `apply` watched: `before` runs ahead of a write, `failed` sees each error. */
function watchApplies(
  client: KubeClient,
  hooks: { before?: (object: KubeObject) => Promise<void>; failed?: (error: unknown) => Promise<void> },
): KubeClient {
  return new Proxy(client, {
    get(target, property) {
      if (property === 'apply') {
        return async (object: KubeObject, options?: { dryRun?: boolean }) => {
          if (!options?.dryRun) await hooks.before?.(object);
          try {
            return await target.apply(object, options);
          } catch (error) {
            await hooks.failed?.(error);
            throw error;
          }
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function buildManifest(name: string): string {
  return `apiVersion: image-gitops.io/v1alpha1\nkind: ImageBuild\nmetadata:\n  name: ${name}\nspec:\n  image: 127.0.0.1:5000/team/${name}\n  tag: v1\n  inline: |\n    FROM busybox\n    RUN echo ${name}\n`;
}

describe('API server faults, provoked for real', function () {
  this.timeout(180_000);

  describe('on the shared control plane', () => {
    let cp: ControlPlane;
    before(async () => {
      cp = await controlPlane();
    });

    it('409: a candidate whose Lease write lost the race is refused by the API server and follows the winner', async () => {
      const namespace = await cp.newNamespace('conflict');
      const client = KubeClient.fromKubeconfig(cp.kubeconfigPath);
      const leases = `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`;
      const path = `${leases}/race`;
      try {
        // A released Lease: free for the taking.
        await client.request('POST', leases, {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: 'race', namespace },
          spec: { holderIdentity: '', leaseDurationSeconds: 30 },
        });
        const conflicts: KubeApiError[] = [];
        let raced = false;
        // pod-b takes the Lease between pod-a's read and pod-a's write, so pod-a writes a stale resourceVersion.
        const podA = new Proxy(client, {
          get(target, property) {
            if (property === 'request') {
              return async (method: string, p: string, body?: unknown) => {
                if (method === 'PUT' && p === path && !raced) {
                  raced = true;
                  const current = (await target.request('GET', path)) as { spec: LeaseSpec };
                  const now = microTime(new Date());
                  await target.request('PUT', path, {
                    ...current,
                    spec: {
                      ...current.spec,
                      holderIdentity: 'pod-b',
                      leaseDurationSeconds: 30,
                      acquireTime: now,
                      renewTime: now,
                    },
                  });
                }
                try {
                  return await target.request(method, p, body);
                } catch (error) {
                  if (error instanceof KubeApiError && error.status === 409) conflicts.push(error);
                  throw error;
                }
              };
            }
            const value = Reflect.get(target, property, target);
            return typeof value === 'function' ? value.bind(target) : value;
          },
        });
        const events: string[] = [];
        const a = new LeaderElector({
          client: podA,
          namespace,
          name: 'race',
          identity: 'pod-a',
          leaseDurationMs: 30_000,
          renewDeadlineMs: 20_000,
          retryPeriodMs: 50,
          onStartedLeading: () => events.push('pod-a leads'),
          onStoppedLeading: () => events.push('pod-a stops'),
        });
        a.start();
        try {
          await waitFor(() => a.leader() === 'pod-b', { timeoutMs: 20_000, what: 'pod-a to see pod-b lead' });
        } finally {
          await a.stop({ release: true });
        }
        assert.equal(conflicts.length, 1, 'the API server answered the stale write 409');
        assert.match(conflicts[0]!.message, /modified|conflict/i);
        assert.deepEqual(events, [], 'pod-a never led');
        const lease = (await client.request('GET', path)) as { spec: LeaseSpec };
        assert.equal(lease.spec.holderIdentity, 'pod-b', 'the winner keeps the Lease');
      } finally {
        client.close();
      }
    });

    it('5xx: a write answered 500 by the API server (its admission webhook failed) is retried and lands', async () => {
      const h = await startEngine({ 'a.yaml': prepullManifest('a', { busybox: 'busybox:1.36' }) });
      const dir = makeTempDir('webhook');
      const ca = selfSignedCa(dir, 'webhook-ca');
      const tls = signedCertificate(dir, 'webhook', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1');
      const seen: { dryRun: boolean; answered: number }[] = [];
      let failedOnce = false;
      const webhook = createServer(
        { cert: readFileSync(tls.cert), key: readFileSync(tls.key) },
        (req: IncomingMessage, res) => {
          let text = '';
          req.on('data', (c: Buffer) => {
            text += c.toString();
          });
          req.on('end', () => {
            const review = JSON.parse(text) as { request: { uid: string; dryRun?: boolean } };
            const dryRun = !!review.request.dryRun;
            // The first real write fails: the webhook breaks, so the API server answers 500.
            if (!dryRun && !failedOnce) {
              failedOnce = true;
              seen.push({ dryRun, answered: 500 });
              res.writeHead(500, { 'content-type': 'text/plain' }).end('webhook broken');
              return;
            }
            seen.push({ dryRun, answered: 200 });
            res.writeHead(200, { 'content-type': 'application/json' }).end(
              JSON.stringify({
                apiVersion: 'admission.k8s.io/v1',
                kind: 'AdmissionReview',
                response: { uid: review.request.uid, allowed: true },
              }),
            );
          });
        },
      );
      await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
      const port = (webhook.address() as AddressInfo).port;
      const config = {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingWebhookConfiguration',
        metadata: { name: `fail-once-${h.namespace}` },
        webhooks: [
          {
            name: 'fail-once.image-gitops.test',
            clientConfig: {
              url: `https://127.0.0.1:${port}/validate`,
              caBundle: Buffer.from(ca).toString('base64'),
            },
            rules: [
              {
                apiGroups: ['apps'],
                apiVersions: ['v1'],
                operations: ['CREATE', 'UPDATE'],
                resources: ['daemonsets'],
              },
            ],
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': h.namespace } },
            failurePolicy: 'Fail',
            sideEffects: 'None',
            admissionReviewVersions: ['v1'],
            timeoutSeconds: 5,
          },
        ],
      };
      try {
        await h.cp.kubeApi.apply(config);
        // The API server picks webhook configurations up asynchronously: wait until it calls ours (dry-run).
        await waitFor(
          async () => {
            await h.cp.kubeApi.apply(
              {
                apiVersion: 'apps/v1',
                kind: 'DaemonSet',
                metadata: { name: 'probe', namespace: h.namespace },
                spec: {
                  selector: { matchLabels: { app: 'probe' } },
                  template: {
                    metadata: { labels: { app: 'probe' } },
                    spec: { containers: [{ name: 'c', image: 'busybox' }] },
                  },
                },
              },
              { dryRun: true },
            );
            return seen.some((s) => s.dryRun);
          },
          { timeoutMs: 30_000, intervalMs: 100, what: 'the webhook to be called' },
        );
        const mark = h.auditMark();
        const report = await h.reconciler.sync('manual');
        assert.equal(report.result, 'Succeeded', JSON.stringify(report.error ?? report.counts));
        assert.ok(await h.kube.get(DAEMONSET, h.namespace, 'a'));
        const writes = h.cp
          .auditEvents()
          .slice(mark)
          .filter((e) => e.userAgent === ENGINE_USER_AGENT && e.objectRef?.resource === 'daemonsets')
          .filter((e) => !['get', 'list', 'watch'].includes(e.verb) && !e.requestURI.includes('dryRun'))
          .map((e) => e.responseStatus?.code);
        assert.equal(writes[0], 500, `the API server answered the first write 500 (${writes.join()})`);
        assert.ok(
          writes.slice(1).some((code) => code === 200 || code === 201),
          `then a retry landed (${writes.join()})`,
        );
        assert.deepEqual(
          seen.filter((s) => !s.dryRun).map((s) => s.answered),
          [500, 200],
        );
      } finally {
        await h.cp.kubeApi.delete(config, undefined, config.metadata.name).catch(() => undefined);
        await new Promise((resolve) => webhook.close(resolve));
        await h.close();
      }
    });

    it('422 immutable: a Job of ours whose pod template differs under the rendered name is replaced', async () => {
      const h = await startEngine({ 'build/b.yaml': buildManifest('b') });
      try {
        assert.equal((await h.reconciler.sync('manual')).result, 'Succeeded');
        const [rendered, ...others] = await h.kube.list(JOB, h.namespace);
        assert.ok(rendered);
        assert.deepEqual(others, []);
        const name = rendered.metadata.name;
        const image = (rendered.spec as { template: { spec: { containers: { image: string }[] } } }).template
          .spec.containers[0]!.image;

        // The same Job under the same name with another pod template (as an older version rendered it).
        await h.cp.kubeApi.delete(JOB, h.namespace, name, { propagationPolicy: 'Background' });
        await waitFor(async () => !(await h.kube.get(JOB, h.namespace, name)), { what: 'the Job to go' });
        const spec = structuredClone(rendered.spec) as {
          selector?: unknown;
          template: {
            metadata?: { labels?: Record<string, string> };
            spec: { containers: { image: string }[] };
          };
        };
        delete spec.selector;
        for (const label of Object.keys(spec.template.metadata?.labels ?? {})) {
          if (/controller-uid|job-name/.test(label)) delete spec.template.metadata!.labels![label];
        }
        spec.template.spec.containers[0]!.image = 'busybox:older';
        const older = await h.cp.kubeApi.create({
          apiVersion: 'batch/v1',
          kind: 'Job',
          metadata: {
            name,
            namespace: h.namespace,
            labels: rendered.metadata.labels,
            annotations: rendered.metadata.annotations,
          },
          spec,
        });

        const mark = h.auditMark();
        const report = await h.reconciler.sync('manual');
        assert.equal(report.result, 'Succeeded', JSON.stringify(report.error ?? report.counts));
        const writes = h.writesSince(mark).filter((w) => w.uri.includes('/jobs/'));
        const verbs = writes.map((w) => w.verb);
        assert.deepEqual(
          verbs.slice(0, 3),
          ['patch', 'delete', 'patch'],
          `refused (immutable), deleted, applied again: ${JSON.stringify(writes)}`,
        );
        const refused = h.cp
          .auditEvents()
          .slice(mark)
          .find(
            (e) =>
              e.userAgent === ENGINE_USER_AGENT && e.objectRef?.resource === 'jobs' && e.verb === 'patch',
          );
        assert.equal(refused?.responseStatus?.code, 422);
        const replaced = await h.kube.get(JOB, h.namespace, name);
        assert.ok(replaced);
        assert.notEqual(replaced.metadata.uid, older.metadata.uid, 'a new Job');
        assert.equal(
          (replaced.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec
            .containers[0]?.image,
          image,
        );
      } finally {
        await h.close();
      }
    });
  });

  describe('on an API server that admits one mutating request at a time', () => {
    let cp: ControlPlane;
    let git: TestGitServer;
    before(async () => {
      // Without priority and fairness, --max-mutating-requests-inflight answers 429 past the limit (the
      // system:masters group of the test set-up is exempt; the engine below is not).
      cp = await startControlPlane({
        apiServerArgs: ['--enable-priority-and-fairness=false', '--max-mutating-requests-inflight=1'],
      });
      git = await startGitServer();
    });
    after(async () => {
      await git?.stop();
      await cp?.stop();
    });

    it('429: an apply answered Too Many Requests is retried and lands', async () => {
      await cp.kubeApi.apply({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'engine-429' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'engine-429' }],
      });
      const kubeconfigPath = cp.kubeconfigFor('engine-429');
      const url = await git.createRepo('throttled', {
        'a.yaml': prepullManifest('a', { busybox: 'busybox:1.36' }),
      });
      const namespace = await cp.newNamespace('throttled');
      const config = configFromEnv({
        GIT_URL: url,
        NAMESPACE: namespace,
        KUBECONFIG: kubeconfigPath,
        GIT_CACHE_DIR: join(makeTempDir('git-cache'), 'repo'),
        IMAGE_GITOPS_INSTANCE: namespace,
      });
      const client = KubeClient.fromKubeconfig(kubeconfigPath, { userAgent: 'throttled-test' });

      // A mutating request of the same identity whose body is held back keeps the only slot taken.
      const identity = JSON.parse(readFileSync(kubeconfigPath, 'utf8')) as {
        clusters: { cluster: { 'certificate-authority-data': string } }[];
        users: { user: { 'client-certificate-data': string; 'client-key-data': string } }[];
      };
      const b64 = (text: string) => Buffer.from(text, 'base64');
      const heldBody = Buffer.from(
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'held', namespace },
          data: { a: 'b' },
        }),
      );
      let held: { req: ClientRequest; answered: Promise<number> } | undefined;
      const hold = async () => {
        const server = new URL(cp.server);
        const req = request({
          host: server.hostname,
          port: server.port,
          method: 'POST',
          path: `/api/v1/namespaces/${namespace}/configmaps`,
          ca: b64(identity.clusters[0]!.cluster['certificate-authority-data']),
          cert: b64(identity.users[0]!.user['client-certificate-data']),
          key: b64(identity.users[0]!.user['client-key-data']),
          headers: { 'content-type': 'application/json', 'content-length': heldBody.length },
        });
        const answered = new Promise<number>((resolve, reject) => {
          req.on('response', (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          });
          req.on('error', reject);
        });
        req.write(heldBody.subarray(0, 10));
        held = { req, answered };
        // Taken once a probe of the same identity is refused with 429.
        await waitFor(
          async () => {
            const probe = await client
              .request('POST', `/api/v1/namespaces/${namespace}/configmaps?dryRun=All`, {
                apiVersion: 'v1',
                kind: 'ConfigMap',
                metadata: { name: 'probe', namespace },
              })
              .catch((error: unknown) => error);
            return probe instanceof KubeApiError && probe.status === 429;
          },
          { timeoutMs: 30_000, intervalMs: 50, what: 'the only mutating slot to be taken' },
        );
      };
      const throttled: KubeApiError[] = [];
      const kube = watchApplies(client, {
        async before(object) {
          if (object.kind === 'DaemonSet' && !held) await hold();
        },
        async failed(error) {
          if (!(error instanceof KubeApiError && error.status === 429)) return;
          throttled.push(error);
          // Free the slot: the held request completes, and the engine's retry finds room.
          if (held && !held.req.writableEnded) {
            held.req.end(heldBody.subarray(10));
            assert.equal(await held.answered, 201);
          }
        },
      });
      try {
        const mark = cp.auditEvents().length;
        const report = await new Reconciler({ config, kube }).sync('manual');
        assert.ok(held, 'the slot was held during the apply');
        assert.ok(throttled.length >= 1, 'the engine was answered 429');
        assert.match(throttled[0]!.message, /too many requests|try again/i);
        assert.equal(report.result, 'Succeeded', JSON.stringify(report.error ?? report.counts));
        assert.ok(await cp.kubeApi.get(DAEMONSET, namespace, 'a'));
        const codes = cp
          .auditEvents()
          .slice(mark)
          .filter((e) => e.userAgent === 'throttled-test' && e.objectRef?.resource === 'daemonsets')
          .filter((e) => !['get', 'list', 'watch'].includes(e.verb) && !e.requestURI.includes('dryRun'))
          .map((e) => e.responseStatus?.code);
        assert.equal(codes[0], 429, `the API server refused the first write (${codes.join()})`);
        assert.ok(
          codes.slice(1).some((code) => code === 200 || code === 201),
          `a retry landed (${codes.join()})`,
        );
      } finally {
        if (held && !held.req.writableEnded) held.req.destroy();
        client.close();
      }
    });
  });
});
