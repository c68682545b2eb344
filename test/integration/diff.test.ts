import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { SyncReport } from '../../src/status/types.js';
import { type EngineHarness, prepullManifest, startEngine } from '../support/engine-harness.js';
import { cliCommand, spawnTracked } from '../support/processes.js';
import { makeTempDir } from '../support/tmp.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The CLI in a process of its own, its exit code and both outputs kept whatever the code. */
function cli(h: EngineHarness, args: string[], env: Record<string, string> = {}): Promise<Run> {
  const child = spawnTracked(...cliCommand(...args), {
    env: {
      ...process.env,
      GIT_URL: h.config.git.url,
      NAMESPACE: h.namespace,
      KUBECONFIG: h.cp.kubeconfigPath,
      GIT_CACHE_DIR: join(makeTempDir('cli-git'), 'repo'),
      IMAGE_GITOPS_INSTANCE: h.config.settings.instance,
      LOG_LEVEL: 'error',
      ...env,
    },
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) =>
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
  });
}

/** What happened to each object, as `kind namespace/name action → changed|unchanged|kept|failed`. */
function byObject(report: SyncReport): string[] {
  const settled: Record<string, string> = { applied: 'changed', pruned: 'changed', planned: 'changed' };
  return report.manifests
    .flatMap((m) =>
      m.objects.map(
        (o) => `${o.kind} ${o.namespace ?? ''}/${o.name} ${o.action} → ${settled[o.outcome] ?? o.outcome}`,
      ),
    )
    .sort();
}

/** A port nothing listens on: taken from the kernel, then let go. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('diff: the sync pipeline with a dry-run writer', () => {
  let h: EngineHarness;
  afterEach(async () => h?.close());

  it('diff then sync on one commit agree object by object, a dry-run the server refuses included', async () => {
    h = await startEngine({
      'tools.yaml': prepullManifest('tools', { busybox: 'busybox:1.36' }),
      // A namespace that does not exist: the API server refuses the apply, dry-run or not.
      'elsewhere.yaml': prepullManifest('elsewhere', { busybox: 'busybox:1.36' }, '').replace(
        'metadata:\n  name: elsewhere',
        'metadata:\n  name: elsewhere\n  namespace: no-such-namespace',
      ),
    });
    const diff = await cli(h, ['diff', '--output', 'json']);
    assert.equal(diff.code, 2, `a refused dry-run is an error:\n${diff.stdout}\n${diff.stderr}`);
    const planned = JSON.parse(diff.stdout) as {
      report: SyncReport;
      changes: { ref: string; action: string; error?: string }[];
    };
    const refused = planned.changes.filter((c) => c.error);
    assert.ok(refused.length > 0, JSON.stringify(planned.changes, null, 2));
    assert.ok(
      refused.every((c) => c.ref.includes('no-such-namespace') && /not ?found/i.test(c.error ?? '')),
      JSON.stringify(refused, null, 2),
    );
    assert.ok(planned.changes.some((c) => !c.error && c.ref.includes(`${h.namespace}/tools`)));

    const text = await cli(h, ['diff']);
    assert.equal(text.code, 2);
    assert.match(text.stdout, /REFUSED by the API server: 404/);

    const sync = await cli(h, ['sync', '--once', '--output', 'json']);
    const done = JSON.parse(sync.stdout) as SyncReport;
    assert.deepEqual(byObject(planned.report), byObject(done));
    assert.ok(byObject(done).some((o) => o.endsWith('→ failed')));
    assert.ok(byObject(done).some((o) => o.endsWith('→ changed')));
    // The API server's 404 is classified where it arose: a retry cannot help, so the manifest is Stalled.
    const elsewhere = done.manifests.find((m) => m.key.includes('elsewhere'));
    assert.deepEqual(
      elsewhere?.conditions?.map((c) => `${c.type}=${c.status} ${c.reason}`),
      ['Ready=False NotFound', 'Reconciling=False NotFound', 'Stalled=True NotFound'],
    );
  });

  it('exits 0 with no change, 1 with changes, 2 for an invalid manifest', async () => {
    h = await startEngine({ 'tools.yaml': prepullManifest('tools', { busybox: 'busybox:1.36' }) });
    const before = await cli(h, ['diff']);
    assert.equal(before.code, 1, before.stdout);
    assert.match(before.stdout, /### create apps\/v1 DaemonSet .*\/tools/);
    assert.match(before.stdout, /^1 change\(s\), 0 refused, 0 failing manifest\(s\)$/m);
    // The same for a pull request: a table per manifest, then a collapsible diff per object.
    const markdown = await cli(h, ['diff', '--output', 'markdown']);
    assert.equal(markdown.code, 1, markdown.stdout);
    assert.match(markdown.stdout, /^## image-gitops diff at `[0-9a-f]{12}`$/m);
    assert.match(
      markdown.stdout,
      /^\| `ImagePrepull\/[^`]*tools` \| `tools\.yaml:1` \| Planned \| 1 \| 0 \| 0 \| 0 \| 0 \|$/m,
    );
    assert.match(
      markdown.stdout,
      /<details>\n<summary><b>create<\/b> <code>apps\/v1 DaemonSet [^<]*\/tools<\/code>: not in the cluster<\/summary>\n\n```diff\n[\s\S]*?\+\s+image: busybox:1\.36\n[\s\S]*?```\n\n<\/details>/,
    );

    const sync = await cli(h, ['sync', '--once']);
    assert.equal(sync.code, 0, sync.stdout);
    const after = await cli(h, ['diff']);
    assert.equal(after.code, 0, after.stdout);
    assert.match(after.stdout, /^0 change\(s\)/m);

    await h.git.commitFiles(
      h.repo,
      {
        'broken.yaml':
          'apiVersion: image-gitops.io/v1alpha1\nkind: ImagePrepull\nmetadata:\n  name: broken\nspec: {}\n',
      },
      'an invalid manifest',
    );
    const invalid = await cli(h, ['diff']);
    assert.equal(invalid.code, 2, invalid.stdout);
    assert.match(invalid.stdout, /ImagePrepull\/.*broken.*Invalid/);
  });

  it('shows the prune of a manifest that left Git and deletes nothing (a dry-run delete stays a dry-run)', async () => {
    h = await startEngine({
      'tools.yaml': prepullManifest('tools', { busybox: 'busybox:1.36' }),
      'more.yaml': prepullManifest('more', { busybox: 'busybox:1.36' }),
    });
    await h.reconciler.sync('manual');
    const daemonSets = async () =>
      (await h.cp.kubeApi.list({ apiVersion: 'apps/v1', kind: 'DaemonSet' }, h.namespace))
        .map((d) => d.metadata.name)
        .sort();
    const before = await daemonSets();
    assert.equal(before.length, 2);
    await h.git.commitFiles(h.repo, { 'more.yaml': null }, 'remove one');
    const diff = await cli(h, ['diff']);
    assert.equal(diff.code, 1, diff.stdout);
    assert.match(diff.stdout, /### delete apps\/v1 DaemonSet .*more/);
    assert.deepEqual(await daemonSets(), before, 'the DaemonSet is still there after diff');
    await h.reconciler.sync('manual');
    assert.equal((await daemonSets()).length, 1, 'and sync prunes it');
  });

  it('exits 2 when the cluster cannot be reached (a closed port)', async () => {
    h = await startEngine({ 'tools.yaml': prepullManifest('tools', { busybox: 'busybox:1.36' }) });
    const kubeconfig = join(makeTempDir('closed-kubeconfig'), 'kubeconfig');
    const port = await closedPort();
    const config = JSON.parse(readFileSync(h.cp.kubeconfigPath, 'utf8')) as {
      clusters: { cluster: { server: string } }[];
    };
    for (const c of config.clusters) c.cluster.server = `https://127.0.0.1:${port}`;
    writeFileSync(kubeconfig, JSON.stringify(config));
    const diff = await cli(h, ['diff'], { KUBECONFIG: kubeconfig, APPLY_RETRY_BUDGET_SECONDS: '1' });
    assert.equal(diff.code, 2, `${diff.stdout}\n${diff.stderr}`);
    assert.match(diff.stdout, /ERROR .*ECONNREFUSED/);
  });
});
