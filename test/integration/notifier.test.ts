// The webhook notifier against a loopback receiver: through `image-gitops run` on the real API server (a
// manifest that starts failing, then recovers: one delivery each, signed, with commit, author and reason;
// not again after a restart or a sync that changes nothing; retried after a 500 under the same delivery id),
// and the notifier alone (Slack's body, bounded retries, no retry of a 400, never twice for one change).
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { WebhookNotifier } from '../../src/server/notifier.js';
import type { ManifestStatus, SyncReport } from '../../src/status/types.js';
import { type EngineHarness, prepullManifest, startEngine } from '../support/engine-harness.js';
import { waitFor } from '../support/processes.js';
import { type ReconcilerProcess, startReconcilerProcess } from '../support/reconciler-process.js';
import { makeTempDir } from '../support/tmp.js';

const HOOK_PATH = '/services/T000/B000/hook-path-secret-93ac1f';
const SIGNING_SECRET = 'notify-signing-secret-28d4e0';
const WEBHOOK_SECRET = 'notify-test-webhook-secret';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

/** A loopback HTTP receiver that records every request and answers 200 unless told otherwise. */
async function startReceiver(): Promise<{
  url: string;
  received: Received[];
  answers: number[];
  close(): Promise<void>;
}> {
  const received: Received[] = [];
  const answers: number[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = answers.shift() ?? 200;
      received.push({
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        status,
      });
      res.writeHead(status).end(status === 200 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${HOOK_PATH}`,
    received,
    answers,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const broken = prepullManifest('web', { nginx: 'nginx:1.27' }).replace('images:', 'imagez:');

describe('webhook notifications', function () {
  this.timeout(240_000);

  describe('through image-gitops run', () => {
    let h: EngineHarness | undefined;
    let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
    const running: ReconcilerProcess[] = [];
    afterEach(async () => {
      for (const r of running.splice(0)) await r.stop();
      await receiver?.close();
      await h?.close();
    });

    it('tells a failure and a recovery once each, signed, with commit, author and reason', async () => {
      h = await startEngine({
        'tools.yaml': prepullManifest('tools', { busybox: 'busybox:1.36' }),
        'web.yaml': broken,
      });
      receiver = await startReceiver();
      const files = makeTempDir('notify-secrets');
      writeFileSync(join(files, 'url'), `${receiver.url}\n`);
      writeFileSync(join(files, 'secret'), SIGNING_SECRET);
      const env = {
        NOTIFY_WEBHOOK_URL_FILE: join(files, 'url'),
        NOTIFY_WEBHOOK_SECRET_FILE: join(files, 'secret'),
        NOTIFY_WEBHOOK_FORMAT: 'json',
        WEBHOOK_SECRET,
        LEADER_ELECTION: 'false',
        LOG_LEVEL: 'info',
      };
      const first = await startReconcilerProcess(h, env);
      running.push(first);
      await waitFor(() => receiver!.received.length === 1, {
        timeoutMs: 60_000,
        what: 'the first notification',
      });
      const failing = receiver.received[0]!;
      assert.equal(failing.path, HOOK_PATH);
      assert.equal(
        failing.headers['x-image-gitops-signature'],
        `sha256=${createHmac('sha256', SIGNING_SECRET).update(failing.body).digest('hex')}`,
      );
      const body = JSON.parse(failing.body) as Record<string, unknown>;
      const startup = (await (await fetch(`${first.base}/status`)).json()) as SyncReport;
      assert.deepEqual(
        { ...body, id: undefined },
        {
          type: 'ManifestStatusChanged',
          id: undefined,
          instance: h.config.settings.instance,
          change: 'failing',
          manifest: { key: 'ImagePrepull/web', kind: 'ImagePrepull', name: 'web', file: 'web.yaml', line: 1 },
          result: 'Invalid',
          commit: { sha: startup.commit?.sha, author: 'Test Author' },
          reason: 'web.yaml:6:3 /spec/images: required field is missing [SCHEMA]',
          problems: [
            'web.yaml:6:3 /spec/images: required field is missing [SCHEMA]',
            'web.yaml:6:3 /spec/imagez: unknown field "imagez" (check its spelling and indentation) [SCHEMA]',
          ],
        },
      );
      assert.equal(failing.headers['x-image-gitops-delivery'], body.id);

      // A restart (its start-up sync finds web still invalid) and a sync with nothing new: nothing to tell.
      await first.stop();
      const second = await startReconcilerProcess(h, env);
      running.push(second);
      const before = ((await (await fetch(`${second.base}/status`)).json()) as SyncReport).finishedAt;
      const sync = () =>
        fetch(`${second.base}/sync`, {
          method: 'POST',
          headers: { authorization: `Bearer ${WEBHOOK_SECRET}` },
        });
      assert.equal((await sync()).status, 202);
      await waitFor(
        async () =>
          ((await (await fetch(`${second.base}/status`)).json()) as SyncReport).finishedAt !== before,
        { timeoutMs: 60_000, what: 'the sync with nothing new' },
      );

      // The fix: one delivery, refused once with a 500 and sent again under the same id.
      receiver.answers.push(500);
      const fix = await h.git.commitFiles(
        h.repo,
        { 'web.yaml': prepullManifest('web', { nginx: 'nginx:1.27' }) },
        'fix web',
        { name: 'Ada Lovelace', email: 'ada@example.com' },
      );
      assert.equal((await sync()).status, 202);
      await waitFor(() => receiver!.received.length === 3, {
        timeoutMs: 60_000,
        what: 'the recovery, retried',
      });
      const [refused, recovered] = receiver.received.slice(1);
      assert.equal(refused?.status, 500);
      assert.equal(refused?.body, recovered?.body);
      assert.equal(
        refused?.headers['x-image-gitops-delivery'],
        recovered?.headers['x-image-gitops-delivery'],
      );
      const recovery = JSON.parse(recovered!.body) as Record<string, unknown>;
      assert.equal(recovery.change, 'recovered');
      assert.equal(recovery.result, 'Applied');
      assert.equal(recovery.previousResult, 'Invalid');
      assert.deepEqual(recovery.commit, { sha: fix, author: 'Ada Lovelace' });
      assert.equal(new Set(receiver.received.map((r) => r.headers['x-image-gitops-delivery'])).size, 2);

      // The receiver's URL holds a secret in its path: the logs name its host only.
      const logs = first.logs() + second.logs();
      assert.match(logs, /notification failed; retrying.*"target":"127\.0\.0\.1:\d+"/);
      assert.ok(!logs.includes('hook-path-secret'), 'the hook path is logged');
      assert.ok(!logs.includes(SIGNING_SECRET));
    });
  });

  describe('the notifier alone', () => {
    let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
    afterEach(async () => receiver?.close());

    const status = (over: Partial<ManifestStatus> = {}): ManifestStatus => ({
      key: 'ImageSync/argo<cd>',
      kind: 'ImageSync',
      name: 'argo<cd>',
      file: 'sync/argo.yaml',
      line: 4,
      result: 'Failed',
      message: 'source quay.io/argoproj/argocd:v9 not found',
      problems: [],
      objects: [],
      commit: 'c'.repeat(40),
      author: 'Tom & Jerry',
      health: 'Unknown',
      ...over,
    });

    it("sends Slack's body, at most 1 + retries times, and never twice for one change", async () => {
      receiver = await startReceiver();
      receiver.answers.push(503, 503, 503, 503, 503);
      const notifier = new WebhookNotifier({
        settings: { url: receiver.url, format: 'slack', retries: 2, timeoutMs: 5000 },
        instance: 'prod',
        sourceUrl: 'https://github.com/org/cfg/blob/{commit}/{path}#L{line}',
        backoff: { initialMs: 10, maxMs: 10, factor: 1, jitter: 0 },
      });
      notifier.statusChanged([], [status()]);
      await notifier.idle();
      assert.equal(receiver.received.length, 3, 'the first attempt and two retries');
      const body = JSON.parse(receiver.received[0]!.body) as { text: string; blocks: unknown[] };
      assert.equal(
        body.text,
        `:x: [prod] ImageSync/argo&lt;cd&gt; is failing: Failed (<https://github.com/org/cfg/blob/${'c'.repeat(40)}/sync/argo.yaml#L4|sync/argo.yaml:4>) at cccccccccccc by Tom &amp; Jerry\nsource quay.io/argoproj/argocd:v9 not found`,
      );
      assert.deepEqual(body.blocks, [{ type: 'section', text: { type: 'mrkdwn', text: body.text } }]);

      // The same change again (a repeated sync in this process): not sent again.
      notifier.statusChanged([], [status()]);
      await notifier.idle();
      assert.equal(receiver.received.length, 3);

      // A 400 will not get better: one attempt.
      receiver.answers.splice(0, receiver.answers.length, 400);
      notifier.statusChanged([status()], [status({ result: 'Applied', problems: [], message: '' })]);
      await notifier.idle();
      assert.equal(receiver.received.length, 4);
      assert.match(
        JSON.parse(receiver.received[3]!.body).text,
        /^:white_check_mark: \[prod\] .* recovered: Applied/,
      );
    });
  });
});
