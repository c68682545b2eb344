import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { SyncReport } from '../../src/status/types.js';
import { type EngineHarness, prepullManifest, startEngine } from '../support/engine-harness.js';
import { cliCommand, runCommand, waitFor } from '../support/processes.js';
import { startReconcilerProcess } from '../support/reconciler-process.js';

const SECRET = 'webhook-secret-for-tests';

function githubPush(body: string): Record<string, string> {
  const signature = createHmac('sha256', SECRET).update(body).digest('hex');
  return {
    'content-type': 'application/json',
    'x-github-event': 'push',
    'x-github-delivery': 'test-delivery',
    'x-hub-signature-256': `sha256=${signature}`,
  };
}

describe('image-gitops run (the pod entrypoint)', () => {
  let h: EngineHarness;
  afterEach(async () => h?.close());

  it('syncs at start, at once on a signed push webhook and on a manual trigger, and shuts down on SIGTERM releasing its Lease', async () => {
    h = await startEngine({ 'a.yaml': prepullManifest('a', { busybox: 'busybox:1.36' }) });
    const reconciler = await startReconcilerProcess(h, {
      WEBHOOK_SECRET: SECRET,
      LEASE_NAME: 'run-test',
      POD_NAME: 'run-test-pod',
    });
    const { base, child } = reconciler;
    try {
      const first = (await (await fetch(`${base}/status`)).json()) as SyncReport;
      assert.equal(first.trigger, 'startup');
      assert.equal(first.result, 'Succeeded', JSON.stringify(first.error));

      const sha = await h.git.commitFiles(
        h.repo,
        { 'b.yaml': prepullManifest('b', { busybox: 'busybox:1.36' }) },
        'add b',
      );
      const body = JSON.stringify({ ref: 'refs/heads/main', after: sha });
      const unsigned = await fetch(`${base}/webhook`, {
        method: 'POST',
        headers: { ...githubPush(body), 'x-hub-signature-256': 'sha256=00' },
        body,
      });
      assert.equal(unsigned.status, 401);
      const accepted = await fetch(`${base}/webhook`, { method: 'POST', headers: githubPush(body), body });
      assert.equal(accepted.status, 202);
      const after = await waitFor(
        async () => {
          const report = (await (await fetch(`${base}/status`)).json()) as SyncReport;
          return report.commit?.sha === sha ? report : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 100, what: 'the webhook sync' },
      );
      assert.equal(after.trigger, 'webhook');
      assert.ok(await h.kube.get({ apiVersion: 'apps/v1', kind: 'DaemonSet' }, h.namespace, 'b'));

      // A manual trigger from the CLI: authenticated with the same secret, answered by the leader.
      const refused = await fetch(`${base}/sync`, {
        method: 'POST',
        headers: { authorization: 'Bearer wrong' },
      });
      assert.equal(refused.status, 401);
      const sha2 = await h.git.commitFiles(
        h.repo,
        { 'c.yaml': prepullManifest('c', { busybox: 'busybox:1.36' }) },
        'add c',
      );
      const [node, args] = cliCommand('trigger', '--url', base);
      const triggered = await runCommand(node, args, { env: { ...process.env, WEBHOOK_SECRET: SECRET } });
      assert.match(triggered.stdout, /^202: sync (started|queued)/);
      const manual = await waitFor(
        async () => {
          const report = (await (await fetch(`${base}/status`)).json()) as SyncReport;
          return report.commit?.sha === sha2 ? report : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 100, what: 'the manual sync' },
      );
      assert.equal(manual.trigger, 'manual');

      // While it runs, this pod holds the Lease: it exists and names POD_NAME as its holder.
      const leaseRef = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' };
      const held = await h.kube.get(leaseRef, h.namespace, 'run-test');
      assert.ok(held, 'the Lease exists while the reconciler runs');
      assert.equal(
        (held.spec as { holderIdentity?: string }).holderIdentity,
        'run-test-pod',
        'held by this pod',
      );

      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0, reconciler.logs());
      // Released, not deleted: the same Lease is still there with no holder.
      const lease = await h.kube.get(leaseRef, h.namespace, 'run-test');
      assert.ok(lease, 'the Lease is still there after shutdown');
      assert.equal(lease.metadata?.uid, held.metadata?.uid, 'the same Lease');
      assert.equal((lease.spec as { holderIdentity?: string }).holderIdentity || '', '', 'lease released');
      assert.doesNotMatch(reconciler.logs(), new RegExp(SECRET));
    } finally {
      await reconciler.stop();
    }
  });
});
