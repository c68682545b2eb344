import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS } from '../../../src/config/settings.js';
import { ANNOTATIONS, LABELS } from '../../../src/core/labels.js';
import {
  type Departed,
  departedManifests,
  finalizeDeparted,
  planWithDeparted,
  stillFinalizing,
} from '../../../src/engine/finalize.js';
import type { RenderedManifest } from '../../../src/engine/render-manifests.js';
import { DEFAULT_PRUNE_POLICY } from '../../../src/kinds/image-sync/deletions.js';
import type { ObserveContext } from '../../../src/kinds/types.js';
import type { LoadedManifests, Manifest } from '../../../src/manifests/types.js';
import type { Plan } from '../../../src/plan/plan.js';
import { manifestId } from '../../../src/render/stamp.js';

const REPO = 'registry.example.com/mirror/app';
const leave = { name: 'app', file: 'sync/app.yaml', repository: REPO, retain: '^1\\.0\\.' };
const pushed = (...tags: string[]) => ({ repository: REPO, tags: tags.map((t) => `${t}@${'a'.repeat(16)}`) });
const m = (key: string) => ({ key, kind: key.split('/')[0] }) as Manifest;
const loaded = (keys: string[], invalid: string[] = []) =>
  ({
    manifests: keys.map(m),
    invalid: invalid.map((key) => ({
      key,
      origin: { file: '', line: 1, apiVersion: '', kind: '' },
      problems: [],
    })),
    fileProblems: [],
    ignored: [],
  }) as LoadedManifests;
const rendered = (key: string, over: Partial<RenderedManifest> = {}): RenderedManifest => ({
  manifest: m(key),
  objects: [],
  problems: [],
  ...over,
});
const logs = () => {
  const lines: string[] = [];
  return { lines, log: { info: (msg: string) => lines.push(msg), warn: (msg: string) => lines.push(msg) } };
};

describe('engine: manifests that left Git and still have something to undo', () => {
  it('finds the memories of manifests no longer in Git, valid or not, with something left to undo', () => {
    const pending = { leave, pushed: pushed('1.1.0') };
    const memory = {
      'ImageSync/present': pending,
      'ImageSync/invalid': pending,
      'ImageSync/gone': pending,
      // Gone without prune (no leave), or with nothing pushed: nothing to undo, forgotten as before.
      'ImageSync/no-prune': { pushed: pushed('1.1.0') },
      'ImageSync/nothing-pushed': { leave },
      'ImageBackup/gone': pending,
      'Unknown/gone': pending,
    };
    const departed = departedManifests(memory, loaded(['ImageSync/present'], ['ImageSync/invalid']));
    assert.deepEqual(departed, [{ key: 'ImageSync/gone', kind: 'ImageSync', memory: pending }]);
    assert.deepEqual(departedManifests(undefined, loaded([])), []);
  });

  it('holds them (no finalize, memory as it was) when the prune is refused or PRUNE=false', async () => {
    const departed: Departed[] = [{ key: 'ImageSync/gone', kind: 'ImageSync', memory: {} }];
    const refusedPlan: Plan = { changes: [], pruneRefused: { wouldDelete: 2, owned: 2, maxShare: 0.5 } };
    const cases: Array<[Plan, boolean]> = [
      [refusedPlan, true],
      [{ changes: [] }, false],
    ];
    for (const [plan, pruneEnabled] of cases) {
      let finalized = 0;
      const { lines, log } = logs();
      const result = await planWithDeparted({
        rendered: [],
        departed,
        pruneEnabled,
        plan: () => plan,
        finalize: async () => {
          finalized++;
          return [];
        },
        log,
      });
      assert.equal(finalized, 0);
      assert.deepEqual(result.held, ['ImageSync/gone']);
      assert.deepEqual(result.finalizing, []);
      assert.equal(result.plan, plan);
      assert.match(lines.join(), /not finalized/);
    }
  });

  it('plans again with the objects of those still finalizing (or failing), not of those done', async () => {
    const present = rendered('ImageSync/here');
    const leaving = rendered('ImageSync/leaving', { memory: { value: 1 } });
    const failing = rendered('ImageSync/failing', {
      problems: [{ code: 'OBSERVE_FAILED', message: 'x' }],
      memory: { value: 1 },
    });
    const done = rendered('ImageSync/done');
    const planned: string[][] = [];
    const { lines, log } = logs();
    const result = await planWithDeparted({
      rendered: [present],
      departed: [{ key: 'ImageSync/leaving', kind: 'ImageSync', memory: {} }],
      pruneEnabled: true,
      plan: (all) => {
        planned.push(all.map((r) => r.manifest.key));
        return { changes: [] };
      },
      finalize: async () => [leaving, failing, done],
      log,
    });
    assert.deepEqual(planned, [
      ['ImageSync/here'],
      ['ImageSync/here', 'ImageSync/leaving', 'ImageSync/failing'],
    ]);
    assert.deepEqual(result.finalizing, [leaving, failing, done]);
    assert.deepEqual(result.held, []);
    assert.deepEqual(lines, [
      'manifest that left Git: finalizing',
      'manifest that left Git: finalize failed',
      'manifest that left Git: finalized',
    ]);
    assert.deepEqual([leaving, failing, done].map(stillFinalizing), [true, true, false]);
  });

  it("runs the kind's finalize with that manifest's live objects, and stamps what it still needs as its own", async () => {
    const key = 'ImageSync/app';
    const mine = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'j', labels: { [LABELS.manifestId]: manifestId(key) } },
    };
    const other = { ...mine, metadata: { name: 'k', labels: { [LABELS.manifestId]: 'x' } } };
    const seen: string[][] = [];
    const context = (_ns: string, live: ObserveContext['live']): ObserveContext => {
      seen.push(live.map((o) => o.metadata.name));
      return {
        namespace: 'images',
        settings: DEFAULT_SETTINGS,
        live,
        readSecret: async () => ({ username: 'u', password: 'p' }),
        listObjects: async () => [],
        prune: DEFAULT_PRUNE_POLICY,
      };
    };
    const leaveWithCredentials = {
      ...leave,
      registry: { host: 'registry.example.com', credentialsSecret: 'push' },
    };
    const steps = await finalizeDeparted({
      departed: [
        // 2 of 3 would go: refused, kept for later with the files Secret.
        {
          key,
          kind: 'ImageSync',
          memory: { leave: leaveWithCredentials, pushed: pushed('1.1.0', '1.2.0', '1.0.0') },
        },
        // Only a retained tag: done.
        { key: 'ImageSync/done', kind: 'ImageSync', memory: { leave, pushed: pushed('1.0.0') } },
        // Nothing to undo: no step.
        { key: 'ImageSync/nothing', kind: 'ImageSync', memory: { pushed: pushed('1.0.0') } },
      ],
      live: [mine, other],
      namespace: 'images',
      instance: 'main',
      commit: { sha: 'c0ffee', author: 'a', date: '2026-01-01T00:00:00Z', message: 'm' },
      observeContext: context,
    });
    assert.deepEqual(seen[0], ['j'], "only the manifest's own live objects");
    assert.deepEqual(
      steps.map((s) => [s.manifest.key, stillFinalizing(s)]),
      [
        [key, true],
        ['ImageSync/done', false],
      ],
    );
    const [secret] = steps[0]!.objects;
    assert.equal(secret?.kind, 'Secret');
    assert.equal(secret?.metadata.labels?.[LABELS.manifestId], manifestId(key));
    assert.equal(secret?.metadata.annotations?.[ANNOTATIONS.manifest], key);
    assert.equal(secret?.metadata.annotations?.[ANNOTATIONS.sourceFile], 'sync/app.yaml');
    assert.match(String(steps[0]!.details?.observed), /REFUSED/);
    assert.deepEqual(
      ((steps[0]!.details?.deletions ?? []) as Array<{ state: string }>).map((d) => d.state).sort(),
      ['refused', 'refused', 'retained'],
    );
    assert.equal(steps[0]!.imagePlan?.deletions?.length, 3, 'diff shows them');
    assert.equal(steps[1]!.memory, undefined);
  });
});
