// What a sync stores: the versions of what it applied (kept for what it left unchanged), never of an object it
// failed to write or does not own, the namespaces it wrote to, bounded lists, and the kinds' memory of the
// manifests still in Git.
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/core/kube-object.js';
import { keptMemory, nextStoredState } from '../../../src/engine/next-state.js';
import type { RenderedManifest } from '../../../src/engine/render-manifests.js';
import type { LoadedManifests, Manifest } from '../../../src/manifests/types.js';
import type { Change } from '../../../src/plan/change.js';
import type { StoredState } from '../../../src/status/store.js';

const object = (uid: string, namespace: string, generation?: number, resourceVersion = '1'): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: uid, namespace, uid, resourceVersion, ...(generation ? { generation } : {}) },
});
const change = (over: Partial<Change>): Change => ({
  action: 'create',
  object: object('x', 'ns'),
  manifestKey: 'ImagePrepull/x',
  reason: { code: 'NotInCluster', message: '' },
  ...over,
});
const previous: StoredState = { manifests: [], appliedVersions: { kept: 'g7' }, namespaces: ['old'] };
const entry = { startedAt: '', result: 'Succeeded', trigger: 'manual', seconds: 1 } as never;

function next(results: Change[], over: Partial<Parameters<typeof nextStoredState>[0]> = {}) {
  return nextStoredState({
    previous,
    results,
    statuses: [],
    sha: 'abc',
    fileProblems: [],
    ignored: [],
    entry,
    memory: {},
    historyLimit: 5,
    ...over,
  });
}

describe('the state a sync stores', () => {
  it('records what it applied and keeps the marker of what it left unchanged', () => {
    const state = next([
      change({ outcome: { result: 'applied', applied: object('a', 'apps', 3) } }),
      change({
        action: 'replace',
        outcome: { result: 'applied', applied: object('b', 'jobs', undefined, '42') },
      }),
      change({ action: 'unchanged', live: object('kept', 'apps', 9), outcome: { result: 'unchanged' } }),
      change({ action: 'unchanged', live: object('new', 'apps', 2), outcome: { result: 'unchanged' } }),
    ]);
    assert.deepEqual(state.appliedVersions, { a: 'g3', b: 'rv42', kept: 'g7', new: 'g2' });
    assert.deepEqual(state.namespaces, ['apps', 'jobs', 'old']);
    assert.equal(state.commit, 'abc');
  });

  it('records nothing of a failed write or of an object it does not own (a workload rewrite)', () => {
    const state = next([
      change({ outcome: { result: 'failed', message: 'refused' } }),
      change({
        action: 'update',
        foreign: { fieldManager: 'image-gitops-backup-rewrite' },
        outcome: { result: 'applied', applied: object('web', 'team', 4) },
      }),
    ]);
    assert.deepEqual(state.appliedVersions, {});
    assert.deepEqual(state.namespaces, ['old'], 'the rewritten workload’s namespace is not ours');
  });

  it('bounds the file problems it keeps, the last one saying how many more', () => {
    const problems = Array.from({ length: 1500 }, (_, i) => ({
      code: 'YAML_PARSE' as const,
      message: `p${i}`,
    }));
    const kept = next([], { fileProblems: problems }).fileProblems ?? [];
    assert.equal(kept.length, 1000);
    assert.equal(kept.at(-1)?.message, '... and 501 more file problems');
    assert.equal(next([]).fileProblems, undefined);
  });

  it('keeps the memory of manifests still in Git, valid or not, and drops that of those gone', () => {
    const m = (key: string) => ({ key }) as Manifest;
    const loaded = {
      manifests: [m('ImageSync/a'), m('ImageSync/b')],
      invalid: [
        { key: 'ImageSync/broken', origin: { file: '', line: 1, apiVersion: '', kind: '' }, problems: [] },
      ],
      fileProblems: [],
      ignored: [],
    } as LoadedManifests;
    const rendered = [{ manifest: m('ImageSync/a'), objects: [], problems: [], memory: { value: 'new' } }];
    const memory = keptMemory(
      { 'ImageSync/a': 'old', 'ImageSync/b': 'b', 'ImageSync/broken': 'kept', 'ImageSync/gone': 'x' },
      rendered as unknown as RenderedManifest[],
      loaded,
    );
    assert.deepEqual(memory, { 'ImageSync/a': 'new', 'ImageSync/b': 'b', 'ImageSync/broken': 'kept' });
  });

  it("keeps the memory of removed manifests held (finalize not run), and takes a removed one's finalize step", () => {
    const m = (key: string) => ({ key }) as Manifest;
    const loaded = {
      manifests: [m('ImageSync/a')],
      invalid: [],
      fileProblems: [],
      ignored: [],
    } as LoadedManifests;
    const before = {
      'ImageSync/a': 'a',
      'ImageSync/held': 'h',
      'ImageSync/leaving': 'l0',
      'ImageSync/done': 'd',
    };
    const finalizing = [
      { manifest: m('ImageSync/leaving'), objects: [], problems: [], memory: { value: 'l1' } },
      { manifest: m('ImageSync/done'), objects: [], problems: [] },
    ] as unknown as RenderedManifest[];
    assert.deepEqual(keptMemory(before, finalizing, loaded, ['ImageSync/held']), {
      'ImageSync/a': 'a',
      'ImageSync/held': 'h',
      'ImageSync/leaving': 'l1',
    });
    assert.deepEqual(keptMemory(before, [], loaded), { 'ImageSync/a': 'a' }, 'nothing held: all gone');
  });
});
