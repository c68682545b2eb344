// A sync that reuses last sync's renders (src/engine/render-cache.ts) gives what a full pass gives, on the
// real API server and git server, over seeded random edits: manifests changed, added, removed, moved to
// another file, broken and mended, and live objects changed behind the reconciler's back. After each sync
// of the long-lived reconciler, a fresh one (nothing cached) renders the same objects for the commit and,
// as a dry-run, finds nothing left to do.
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/core/kube-object.js';
import { ANNOTATIONS } from '../../../src/core/labels.js';
import type { RenderedManifest } from '../../../src/engine/render-manifests.js';
import { RECREATED_AT_ANNOTATION } from '../../../src/kinds/image-prepull/recreate.js';
import { writes } from '../../../src/plan/change.js';
import {
  ENGINE_USER_AGENT,
  type EngineHarness,
  prepullManifest,
  startEngine,
} from '../../support/engine-harness.js';
import { seededRandom } from '../../support/random.js';

const mirror = (name: string, upstream: string) =>
  `apiVersion: image-gitops.io/v1alpha1\nkind: RegistryMirror\nmetadata:\n  name: ${name}\nspec:\n  upstreamUrl: https://${upstream}\n`;

/** The rendered objects of a pass, the commit annotation left out (it names the commit that last changed one). */
function desired(rendered: readonly RenderedManifest[]): string[] {
  return rendered
    .filter((r) => r.problems.length === 0)
    .flatMap((r) =>
      r.objects.map((o: KubeObject) => {
        const { [ANNOTATIONS.commit]: _commit, ...annotations } = o.metadata.annotations ?? {};
        return JSON.stringify({ ...o, metadata: { ...o.metadata, annotations } });
      }),
    )
    .sort();
}

/** Until the reconciler's watches have seen the object as written (drift is seen once the watch shows it). */
async function untilWatched(h: EngineHarness, object: KubeObject): Promise<void> {
  for (let i = 0; i < 500 && !h.reconciler.owned.seen(object); i++)
    await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(h.reconciler.owned.seen(object), `the watch never showed ${object.metadata.name}`);
}

for (const watchOwned of [false, true])
  describe(`incremental sync: the same as a full pass (${watchOwned ? 'owned objects watched, as the daemon' : 'owned objects listed'})`, function () {
    this.timeout(300_000);
    let h: EngineHarness;
    afterEach(async () => h?.close());

    it('over seeded random edits and drift, renders and applies what a fresh full pass would', async () => {
      const next = seededRandom(20261129);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
      const files = new Map<string, string>();
      for (let i = 0; i < 12; i++)
        files.set(`apps/p${i}.yaml`, prepullManifest(`p${i}`, { tool: `registry.example/tool:${i}` }));
      for (let i = 0; i < 3; i++) files.set(`mirrors/m${i}.yaml`, mirror(`m${i}`, `upstream-${i}.example`));
      h = await startEngine(Object.fromEntries(files), { MAX_PRUNE_SHARE: '1' }, { watchOwned });
      const first = await h.reconciler.run('manual');
      assert.equal(first.report.result, 'Succeeded', JSON.stringify(first.report.error));
      // The first sync (a full pass) listed and started the watches; the rounds below count on them.
      assert.equal(await h.reconciler.owned.untilSynced(10_000), watchOwned, 'watches synced');

      let reused = 0;
      for (let round = 0; round < 22; round++) {
        const edit: Record<string, string | null> = {};
        const action = pick([
          'change',
          'add',
          'remove',
          'move',
          'break',
          'syntax',
          'duplicate',
          'drift',
          'drift',
          'nothing',
        ]);
        const paths = [...files.keys()];
        const path = pick(paths);
        if (action === 'change' && path.startsWith('apps/')) {
          edit[path] = prepullManifest(path.slice(5, -5), { tool: `registry.example/tool:r${round}` });
        } else if (action === 'change') {
          edit[path] = mirror(path.slice(8, -5), `upstream-r${round}.example`);
        } else if (action === 'add') {
          edit[`apps/new${round}.yaml`] = prepullManifest(`new${round}`, {
            tool: `registry.example/new:${round}`,
          });
        } else if (action === 'remove' && files.size > 4) {
          edit[path] = null;
        } else if (action === 'move') {
          edit[path] = null;
          edit[`moved/r${round}-${path.split('/').pop()}`] = files.get(path)!;
        } else if (action === 'break' && path.startsWith('apps/')) {
          edit[path] = files.get(path)!.replace('images:', 'imagez:');
        } else if (action === 'syntax') {
          // A file that no longer parses: its manifests are kept as last applied, and the file is a problem.
          edit[path] = `${files.get(path)!}\n  - [unclosed\n`;
        } else if (action === 'duplicate') {
          // A new file with a name another (unchanged, so cached) file already has: the check across files.
          const copied = files.get(path)!;
          edit[`zz/dup${round}.yaml`] = copied;
        } else if (action === 'drift') {
          // A live object changes behind the reconciler's back, in a field its render reads (a prepull
          // DaemonSet keeps the re-creation time its pods were last given): the render must be made again.
          const [daemonSet] = await h.kube.list({ apiVersion: 'apps/v1', kind: 'DaemonSet' }, h.namespace);
          assert.ok(daemonSet);
          const drifted = await h.cp.kubeApi.apply(
            {
              apiVersion: 'apps/v1',
              kind: 'DaemonSet',
              metadata: { name: daemonSet.metadata.name, namespace: h.namespace },
              spec: {
                template: {
                  metadata: {
                    annotations: {
                      [RECREATED_AT_ANNOTATION]: `2026-11-29T00:00:${String(round).padStart(2, '0')}Z`,
                    },
                  },
                },
              },
            },
            { fieldManager: 'someone-else', force: true },
          );
          if (watchOwned) await untilWatched(h, drifted);
        }
        for (const [p, content] of Object.entries(edit)) {
          if (content === null) files.delete(p);
          else files.set(p, content);
        }
        if (Object.keys(edit).length > 0) await h.git.commitFiles(h.repo, edit, `round ${round}: ${action}`);

        const incremental = await h.reconciler.run('manual');
        const fresh = await h.restart().run('cli', { dryRun: true });
        const what = `round ${round} (${action} ${path})`;
        // Only the files this commit changed were parsed again (all of them by the fresh pass).
        const changedYaml = Object.entries(edit).filter(([p, c]) => c !== null && p.endsWith('.yaml')).length;
        assert.equal(incremental.report.filesParsed, changedYaml, `${what}: files parsed`);
        assert.equal(fresh.report.filesParsed, files.size, `${what}: a fresh pass parses every file`);
        const problems = (report: typeof incremental.report) =>
          JSON.stringify([
            report.fileProblems,
            report.manifests
              .filter((m) => m.file !== '')
              .map((m) => [m.key, m.problems.map((p) => [p.code, p.message, p.location])]),
          ]);
        assert.equal(problems(incremental.report), problems(fresh.report), `${what}: the same problems`);
        assert.equal(incremental.report.commit?.sha, fresh.report.commit?.sha, what);
        assert.deepEqual(desired(incremental.rendered), desired(fresh.rendered), `${what}: the same objects`);
        assert.deepEqual(
          (fresh.changes ?? [])
            .filter(writes)
            .map((c) => `${c.action} ${c.object.kind} ${c.object.metadata.name}`),
          [],
          `${what}: a full pass finds nothing left to do`,
        );
        // Per manifest in Git (a removed one is reported once, by the sync that pruned it).
        const results = (report: typeof incremental.report, changed: string) =>
          report.manifests
            .filter((m) => m.file !== '')
            .map((m) => `${m.key} ${m.result === changed ? 'Unchanged' : m.result}`);
        assert.deepEqual(
          results(incremental.report, 'Applied'),
          results(fresh.report, 'Planned'),
          `${what}: the same per-manifest results`,
        );
        reused += incremental.report.rendersReused ?? 0;
        // Right after a sync, another finds nothing to write: its own writes are seen, watched or listed.
        const again = await h.reconciler.run('manual');
        assert.deepEqual(
          (again.changes ?? [])
            .filter(writes)
            .map((c) => `${c.action} ${c.object.kind} ${c.object.metadata.name}`),
          [],
          `${what}: the sync right after`,
        );
        // With watches, owned objects are listed by the first sync (a full pass) only.
        if (watchOwned) assert.equal(incremental.report.collectionsListed, 0, `${what}: collections listed`);
        else assert.ok((incremental.report.collectionsListed ?? 0) > 0, `${what}: collections listed`);
      }
      // Not a vacuous comparison: most manifests' renders were reused from the sync before.
      assert.ok(reused > 22 * 8, `only ${reused} renders reused`);
    });
  });

describe('incremental sync: the full pass that is its safety net', () => {
  let h: EngineHarness;
  afterEach(async () => h?.close());

  it('reuses renders by default, and none with FULL_SYNC_INTERVAL=0; a restart starts with a full pass', async () => {
    h = await startEngine({
      'a.yaml': prepullManifest('a', { tool: 'registry.example/tool:1' }),
      'b.yaml': prepullManifest('b', { tool: 'registry.example/tool:2' }),
    });
    // The first sync creates the objects, so the second sees new live objects (an input) and renders again.
    await h.reconciler.sync('manual');
    assert.equal((await h.reconciler.sync('manual')).rendersReused, 0, 'live objects new since: rendered');
    assert.equal((await h.reconciler.sync('manual')).rendersReused, 2, 'nothing changed: both reused');
    const restarted = h.restart();
    assert.equal((await restarted.sync('manual')).rendersReused, 0, 'a restart reuses nothing');
    const always = h.restart({ FULL_SYNC_INTERVAL: '0' });
    await always.sync('manual');
    await always.sync('manual');
    assert.equal((await always.sync('manual')).rendersReused, 0, 'every sync a full pass');
  });

  it('with watches, a restart lists each owned collection once: a new watch’s first LIST serves the sync', async () => {
    h = await startEngine(
      {
        'a.yaml': prepullManifest('a', { tool: 'registry.example/tool:1' }),
        'b.yaml': prepullManifest('b', { tool: 'registry.example/tool:2' }),
      },
      {},
      { watchOwned: true },
    );
    const owned = (from: number) =>
      h.cp
        .auditEvents()
        .slice(from)
        .filter((e) => e.userAgent === ENGINE_USER_AGENT && e.verb === 'list')
        .map((e) => decodeURIComponent(e.requestURI))
        .filter((uri) => uri.includes(`image-gitops.io/instance=${h.namespace}`))
        .map((uri) => uri.split('?')[0]!);
    let mark = h.auditMark();
    const first = await h.reconciler.sync('manual');
    const lists = owned(mark);
    assert.ok(lists.length >= 5, `owned collections listed: ${lists.join(', ')}`);
    assert.deepEqual(lists, [...new Set(lists)], 'no collection listed twice');
    assert.equal(first.collectionsListed, lists.length);
    mark = h.auditMark();
    const next = await h.reconciler.sync('manual');
    assert.equal(next.collectionsListed, 0);
    assert.deepEqual(owned(mark), [], 'the next sync lists nothing: the watches serve it');
  });
});
