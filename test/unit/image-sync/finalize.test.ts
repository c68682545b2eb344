// ImageSync's finalize of a manifest that left Git, where no registry needs asking: the share guard, retain,
// PRUNE=false, credentials gone, giving up. (The deletions themselves, against a real registry and Jobs:
// test/e2e/image-sync-prune-left-git.test.ts.)
import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS } from '../../../src/config/settings.js';
import { DEFAULT_PRUNE_POLICY } from '../../../src/kinds/image-sync/deletions.js';
import { finalizeImageSync } from '../../../src/kinds/image-sync/finalize.js';
import {
  LEAVE_GIVE_UP_MS,
  LEAVE_MIN_ATTEMPTS,
  type LeaveSpec,
  standIn,
} from '../../../src/kinds/image-sync/leaving.js';
import { filesSecretName } from '../../../src/kinds/image-sync/render.js';
import type { ObserveContext } from '../../../src/kinds/types.js';

const REPO = 'registry.example.com/mirror/app';
const KEY = 'ImageSync/app';
const NOW = new Date('2026-03-01T12:00:00Z');
const PASSWORD = 'hunter2-finalize';
const short = (c: string) => c.repeat(16);
const leave: LeaveSpec = {
  name: 'app',
  file: 'sync/app.yaml',
  repository: REPO,
  registry: { host: 'registry.example.com', credentialsSecret: 'push' },
  retain: '^1\\.0\\.',
};
const memory = (tags: string[], over: Record<string, unknown> = {}) => ({
  pushed: { repository: REPO, tags: tags.map((t, i) => `${t}@${short('abcdef'[i] ?? 'f')}`) },
  leave,
  ...over,
});

function context(over: Partial<ObserveContext> = {}): ObserveContext {
  return {
    namespace: 'images',
    settings: DEFAULT_SETTINGS,
    live: [],
    readSecret: async (_ns, name) =>
      name === 'push' ? { username: 'pusher', password: PASSWORD } : undefined,
    listObjects: async () => [],
    prune: DEFAULT_PRUNE_POLICY,
    ...over,
  };
}

/** A finalize step that must be there. */
async function finalizeStep(stored: unknown, ctx = context()) {
  const step = await finalizeImageSync({ key: KEY, memory: stored }, ctx, NOW);
  assert.ok(step, 'a step');
  return step;
}
const messageOf = (observed: unknown) => String((observed as { message?: unknown }).message);

const states = (observed: unknown) =>
  Object.fromEntries(
    ((observed as { deletions?: Array<{ tag: string; state: string }> }).deletions ?? []).map((d) => [
      d.tag,
      d.state,
    ]),
  );

describe('ImageSync finalize: the tags a removed manifest pushed', () => {
  it('has nothing to do without a leave (prune was off) or without pushed tags', async () => {
    assert.equal(
      await finalizeImageSync({ key: KEY, memory: { pushed: memory(['1.1.0']).pushed } }, context()),
      undefined,
    );
    assert.equal(await finalizeImageSync({ key: KEY, memory: { leave } }, context()), undefined);
    assert.equal(await finalizeImageSync({ key: KEY, memory: 'garbage' }, context()), undefined);
  });

  it('refuses as a whole past the per-manifest share, keeps the files Secret and the memory, counts the try', async () => {
    const step = await finalizeStep(memory(['1.1.0', '1.2.0', '1.0.0']), context());
    assert.deepEqual(states(step.observed), { '1.0.0': 'retained', '1.1.0': 'refused', '1.2.0': 'refused' });
    assert.match(messageOf(step.observed), /2 REFUSED \(prune refused: 2 of the 3/);
    assert.deepEqual(
      step.objects.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`),
      [`Secret images/${filesSecretName(standIn(KEY, leave))}`],
      'no delete Job, the files Secret kept',
    );
    assert.equal(step.manifest.key, KEY);
    assert.equal(step.manifest.origin.file, 'sync/app.yaml');
    const kept = step.memory as { leaving: { since: string; attempts: number }; pushed: { tags: string[] } };
    assert.deepEqual(kept.leaving, { since: NOW.toISOString(), attempts: 1 });
    assert.equal(kept.pushed.tags.length, 3);
    assert.equal(step.problems, undefined);
    assert.deepEqual(
      step.imagePlan?.deletions?.map((d) => d.state),
      ['refused', 'refused', 'retained'],
      'diff shows the refusal',
    );
    const shown = JSON.stringify({ ...step, objects: [] });
    assert.doesNotMatch(shown, new RegExp(`${PASSWORD}|${Buffer.from(PASSWORD).toString('base64')}`));
  });

  it('holds everything while PRUNE=false', async () => {
    const policy = { ...DEFAULT_PRUNE_POLICY, enabled: false };
    const step = await finalizeStep(memory(['1.1.0']), context({ prune: policy }));
    assert.deepEqual(states(step.observed), { '1.1.0': 'held' });
    assert.ok(step.memory, 'not done');
  });

  it('is done when only retained tags are left: no memory, no objects', async () => {
    const step = await finalizeStep(memory(['1.0.0', '1.0.1']), context());
    assert.deepEqual(states(step.observed), { '1.0.0': 'retained', '1.0.1': 'retained' });
    assert.equal(step.memory, undefined);
    assert.deepEqual(step.objects, []);
    assert.match(messageOf(step.observed), /done: forgotten/);
  });

  it('fails while its credentials Secret is gone, keeping the memory and counting the try', async () => {
    const since = '2026-03-01T10:00:00.000Z';
    const step = await finalizeStep(
      memory(['1.1.0'], { leaving: { since, attempts: 2 } }),
      context({ readSecret: async () => undefined }),
    );
    assert.equal(step.problems?.length, 1);
    assert.match(step.problems?.[0]?.message ?? '', /Secret images\/push .*does not exist.*try 3 since/);
    assert.deepEqual((step.memory as { leaving: unknown }).leaving, { since, attempts: 3 });
    assert.deepEqual(step.objects, []);
  });

  it('gives up past both bounds, saying so, and forgets the manifest', async () => {
    const since = new Date(NOW.getTime() - LEAVE_GIVE_UP_MS).toISOString();
    const leaving = { since, attempts: LEAVE_MIN_ATTEMPTS };
    let asked = 0;
    const step = await finalizeStep(
      memory(['1.1.0', '1.2.0'], { leaving }),
      context({
        readSecret: async () => {
          asked++;
          return undefined;
        },
      }),
    );
    assert.equal(asked, 0, 'no more tries');
    assert.equal(step.memory, undefined);
    assert.deepEqual(step.objects, []);
    assert.equal(step.problems?.[0]?.retryable, false);
    assert.match(
      step.problems?.[0]?.message ?? '',
      /gave up deleting the 2 tag\(s\) it pushed to registry\.example\.com\/mirror\/app after 5 tries/,
    );
    const once = await finalizeStep(
      memory(['1.1.0'], { leaving: { since, attempts: LEAVE_MIN_ATTEMPTS - 1 } }),
      context(),
    );
    assert.ok(once.memory, 'fewer tries: not yet');
  });
});
