// The sync history on the real API server: the syncs that changed something are stored with the status,
// newest first and bounded; a sync that repeats the last one, or a restart, writes nothing; the CLI's
// `history` prints them (text and JSON); a failed fetch is recorded without the credentials of GIT_URL.
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { main } from '../../../src/cli/main.js';
import type { SyncHistoryEntry } from '../../../src/status/history.js';
import { statusConfigMapName } from '../../../src/status/store.js';
import { type EngineHarness, prepullManifest, startEngine } from '../../support/engine-harness.js';

const TOKEN = 'history-test-token-5e3b9d';

/** Runs the CLI against the harness's namespace and instance, capturing stdout. */
async function cli(h: EngineHarness, args: string[]): Promise<{ code: number; stdout: string }> {
  const chunks: string[] = [];
  const write = process.stdout.write;
  const instance = process.env.IMAGE_GITOPS_INSTANCE;
  process.env.IMAGE_GITOPS_INSTANCE = h.config.settings.instance;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof process.stdout.write;
  try {
    const code = await main([...args, '--kubeconfig', h.cp.kubeconfigPath, '--namespace', h.namespace]);
    return { code, stdout: chunks.join('') };
  } finally {
    process.stdout.write = write;
    if (instance === undefined) delete process.env.IMAGE_GITOPS_INSTANCE;
    else process.env.IMAGE_GITOPS_INSTANCE = instance;
  }
}

async function historyJson(h: EngineHarness): Promise<SyncHistoryEntry[]> {
  const { code, stdout } = await cli(h, ['history', '--output', 'json']);
  assert.equal(code, 0, stdout);
  return (JSON.parse(stdout) as { history: SyncHistoryEntry[] }).history;
}

const broken = prepullManifest('web', { nginx: 'nginx:1.27' }).replace('images:', 'imagez:');

describe('sync history', () => {
  let h: EngineHarness;
  afterEach(async () => h?.close());

  it('stores the syncs that changed something, newest first; repeats and restarts write nothing', async () => {
    h = await startEngine({
      'tools.yaml': prepullManifest('tools', { busybox: 'busybox:1.36' }),
      'web.yaml': broken,
    });
    const first = await h.reconciler.sync('manual');
    assert.equal(first.result, 'PartiallyFailed');
    const second = await h.reconciler.sync('schedule');
    assert.equal(second.counts.applied, 0);

    // The same news again: no new entry, so no write at all; nor after a restart.
    let mark = h.auditMark();
    await h.reconciler.sync('schedule');
    assert.deepEqual(h.writesSince(mark), []);
    mark = h.auditMark();
    const restarted = h.restart();
    await restarted.sync('startup');
    assert.deepEqual(h.writesSince(mark), [], 'a restart costs no write');

    const fix = await h.git.commitFiles(
      h.repo,
      { 'web.yaml': prepullManifest('web', { nginx: 'nginx:1.27' }) },
      'fix the typo in web\n\nlonger body',
      { name: 'Ada Lovelace', email: 'ada@example.com' },
    );
    const fourth = await restarted.sync('webhook');
    assert.equal(fourth.result, 'Succeeded', JSON.stringify(fourth.manifests));

    const history = await historyJson(h);
    assert.deepEqual(
      history.map((e) => [e.trigger, e.result, e.commit, e.counts.applied, e.failing]),
      [
        ['webhook', 'Succeeded', fix, 1, 0],
        ['schedule', 'PartiallyFailed', first.commit?.sha, 0, 1],
        ['manual', 'PartiallyFailed', first.commit?.sha, 1, 1],
      ],
    );
    assert.equal(history[0]?.author, 'Ada Lovelace');
    assert.equal(history[0]?.subject, 'fix the typo in web');
    assert.equal(history[0]?.manifests, 2);
    assert.equal(history[0]?.startedAt, fourth.startedAt);
    assert.equal(history[2]?.author, 'Test Author');

    const { stdout } = await cli(h, ['history']);
    const lines = stdout.split('\n');
    assert.match(
      lines[0] ?? '',
      new RegExp(
        `^✔ \\S+ Succeeded at ${fix.slice(0, 12)} by Ada Lovelace \\(webhook, [0-9.]+s\\): 1 applied, 0 pruned, 1 unchanged, 0 kept, 0 failed$`,
      ),
    );
    assert.equal(lines[1], '    fix the typo in web');
    assert.match(
      stdout,
      /! \S+ PartiallyFailed at \w{12} by Test Author \(manual, [0-9.]+s\): 1 applied.*; 1 of 2 manifest\(s\) failing/,
    );
    assert.match(stdout, /3 sync\(s\), newest first/);
  });

  it('keeps at most HISTORY_LIMIT syncs, and records a failed fetch without the credentials in GIT_URL', async () => {
    h = await startEngine({ 'tools.yaml': prepullManifest('tools', { busybox: 'busybox:1.36' }) });
    const url = new URL(h.git.repoUrl(h.repo));
    url.username = 'gitops';
    url.password = TOKEN;
    const reconciler = h.restart({ HISTORY_LIMIT: '2', GIT_URL: url.toString() });
    await reconciler.sync('manual');
    for (const tag of ['1.37', '1.38']) {
      await h.git.commitFiles(h.repo, {
        'tools.yaml': prepullManifest('tools', { busybox: `busybox:${tag}` }),
      });
      await reconciler.sync('manual');
    }
    h.git.failNext(20, 500);
    const failed = await reconciler.sync('schedule');
    assert.equal(failed.result, 'Failed');

    const history = await historyJson(h);
    assert.deepEqual(
      history.map((e) => e.result),
      ['Failed', 'Succeeded'],
    );
    assert.match(history[0]?.error ?? '', /500|status|fail/i);
    // Nowhere: not in the stored ConfigMap, not in the CLI's answer.
    const head = await h.kube.get(
      { apiVersion: 'v1', kind: 'ConfigMap' },
      h.namespace,
      statusConfigMapName(h.config.settings.instance),
    );
    const stored = gunzipSync(
      Buffer.from(String(((head?.binaryData ?? {}) as Record<string, string>)['state.json.gz']), 'base64'),
    ).toString('utf8');
    assert.match(stored, /"history"/);
    assert.doesNotMatch(stored, new RegExp(TOKEN));
    assert.doesNotMatch((await cli(h, ['history', '--output', 'json'])).stdout, new RegExp(TOKEN));
  });
});
