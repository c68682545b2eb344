import assert from 'node:assert/strict';
import { join } from 'node:path';
import { type EngineHarness, prepullManifest, startEngine } from '../support/engine-harness.js';
import { cliCommand, runCommand } from '../support/processes.js';
import { makeTempDir } from '../support/tmp.js';

/** The CLI as a user runs it: a separate process, configured by the environment and flags. */
async function cli(h: EngineHarness, args: string[]): Promise<{ code: number; stdout: string }> {
  const env = {
    ...process.env,
    GIT_URL: h.config.git.url,
    NAMESPACE: h.namespace,
    KUBECONFIG: h.cp.kubeconfigPath,
    GIT_CACHE_DIR: join(makeTempDir('cli-git'), 'repo'),
    IMAGE_GITOPS_INSTANCE: h.config.settings.instance,
    LOG_LEVEL: 'error',
  };
  try {
    const { stdout } = await runCommand(...cliCommand(...args), { env });
    return { code: 0, stdout };
  } catch (error) {
    const message = (error as Error).message;
    const code = Number(/ exited (\d+)/.exec(message)?.[1] ?? 99);
    // runCommand's message is the command, its code, then stderr or, when that is empty, stdout.
    return { code, stdout: message.replace(/^[\s\S]*? exited \d+: /, '') };
  }
}

describe('the CLI against a real cluster', () => {
  let h: EngineHarness;
  afterEach(async () => h?.close());

  it('diff shows what a sync would change without writing, sync --once applies it, status reports it', async () => {
    h = await startEngine({ 'tools.yaml': prepullManifest('tools', { busybox: 'busybox:1.36' }) });
    const mark = h.auditMark();
    const diff = await cli(h, ['diff']);
    assert.equal(diff.code, 1, `changes: exit 1, as kubectl diff\n${diff.stdout}`);
    assert.match(diff.stdout, /### create apps\/v1 DaemonSet .*\/tools/);
    assert.match(diff.stdout, /\+\s+image: busybox:1\.36/);
    const writes = h.cp
      .auditEvents()
      .slice(mark)
      .filter(
        (e) =>
          e.objectRef?.namespace === h.namespace && ['create', 'update', 'patch', 'delete'].includes(e.verb),
      );
    assert.ok(
      writes.every((e) => e.requestURI.includes('dryRun=All')),
      'diff only dry-runs',
    );
    // The diff's "after" is the API server's own answer: a server-side dry-run of the DaemonSet happened.
    assert.ok(
      writes.some(
        (e) =>
          e.objectRef?.resource === 'daemonsets' &&
          e.objectRef?.name === 'tools' &&
          e.requestURI.includes('dryRun=All'),
      ),
      `a server-side dry-run of DaemonSet tools was made (saw ${writes.map((e) => `${e.verb} ${e.requestURI}`).join(', ') || 'no write'})`,
    );
    assert.equal(
      await h.kube.get({ apiVersion: 'apps/v1', kind: 'DaemonSet' }, h.namespace, 'tools'),
      undefined,
    );

    const sync = await cli(h, ['sync', '--once']);
    assert.equal(sync.code, 0, sync.stdout);
    assert.match(sync.stdout, /✔ ImagePrepull\/tools \(tools\.yaml:1\): Applied/);

    await h.git.commitFiles(
      h.repo,
      { 'tools.yaml': prepullManifest('tools', { busybox: 'busybox:1.37' }) },
      'bump',
    );
    const second = await cli(h, ['diff', '--output', 'json']);
    assert.equal(second.code, 1);
    const parsed = JSON.parse(second.stdout) as { changes: { action: string; diff: string }[] };
    assert.equal(parsed.changes.length, 1);
    assert.equal(parsed.changes[0]?.action, 'update');
    assert.match(parsed.changes[0]?.diff ?? '', /-\s+image: busybox:1\.36\n\+\s+image: busybox:1\.37/);

    const status = await cli(h, ['status', '--output', 'json']);
    const state = JSON.parse(status.stdout) as { manifests: { key: string; author: string; file: string }[] };
    assert.deepEqual(
      state.manifests.map((m) => [m.key, m.author, m.file]),
      [['ImagePrepull/tools', 'Test Author', 'tools.yaml']],
    );
  });

  it('sync --once exits 1 and names file, line and field when a manifest is invalid', async () => {
    h = await startEngine({
      'bad.yaml': prepullManifest('bad', { busybox: 'busybox:1.36' }).replace('images:', 'imagez:'),
    });
    const sync = await cli(h, ['sync', '--once']);
    assert.equal(sync.code, 1);
    assert.match(sync.stdout, /bad\.yaml:6:3 \/spec\/imagez: unknown field "imagez"/);
  });
});
