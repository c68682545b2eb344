// ImageSync's steady state on real registries and the real API server (issue 15, item 2): the digests seen
// are kept in the stored status; an immutable tag copied with equal digests is not asked about again, so a
// no-op sync of N such tags costs one tag list per side, also after a restart, which writes nothing; other
// tags are asked with If-None-Match (docker-registry answers 304). Requests are counted from the registries'
// access logs.
import assert from 'node:assert/strict';
import { StatusStore } from '../../src/status/store.js';
import { type EngineHarness, startEngine } from '../support/engine-harness.js';
import { pushTestImage, skopeoSyncArgs } from '../support/oci-image.js';
import { runCommand } from '../support/processes.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import {
  addTags,
  deleteTagged,
  describeRequest,
  type LoggedRequest,
  trafficMark,
  trafficSince,
} from '../support/registry-traffic.js';

const TAGS = Array.from({ length: 30 }, (_, i) => `v1.0.${i}`);

function imageSync(name: string, source: TestRegistry, destination: TestRegistry, repo: string, extra = '') {
  return `apiVersion: image-gitops.io/v1alpha1
kind: ImageSync
metadata:
  name: ${name}
spec:
  source:
    image: ${source.host}/bench/app
  destination:
    image: ${destination.host}/${repo}
  tags:
    pattern: v1.0.x
${extra}  registries:
    - host: ${source.host}
      tlsVerify: false
    - host: ${destination.host}
      tlsVerify: false
`;
}

describe('ImageSync steady state (stored digests, immutable tags, conditional requests)', function () {
  this.timeout(300_000);
  let source: TestRegistry;
  let destination: TestRegistry;
  let h: EngineHarness | undefined;

  /** What both registries were asked during `work`, as short lines, sorted. */
  async function asked(work: () => Promise<unknown>): Promise<string[]> {
    const marks = [await trafficMark(source), await trafficMark(destination)];
    await work();
    const requests: LoggedRequest[] = [
      ...(await trafficSince(source, marks[0]!)),
      ...(await trafficSince(destination, marks[1]!)),
    ];
    return requests.map(describeRequest).sort();
  }
  const count = (lines: string[], pattern: RegExp) => lines.filter((l) => pattern.test(l)).length;

  before(async () => {
    [source, destination] = await Promise.all([startRegistry(), startRegistry()]);
    await pushTestImage(source, 'bench/app', TAGS[0]!);
    await addTags(source, 'bench/app', TAGS[0]!, TAGS.slice(1), { distinct: true });
    // Both destinations already hold every tag: the syncs below only check.
    for (const prefix of ['immutable', 'mutable']) {
      await runCommand('skopeo', skopeoSyncArgs(source, 'bench/app', destination, prefix));
    }
    h = await startEngine({
      'immutable.yaml': imageSync(
        'immutable',
        source,
        destination,
        'immutable/app',
        "    immutable: '^v\\d+\\.\\d+\\.\\d+$'\n",
      ),
      'mutable.yaml': imageSync('mutable', source, destination, 'mutable/app'),
    });
  });
  after(async () => {
    await h?.close();
    await Promise.all([source, destination].filter(Boolean).map((r) => r.stop()));
  });

  it('asks every tag once at the first sync, reading the shared source list once', async () => {
    const lines = await asked(() => h!.reconciler.sync('manual'));
    const n = TAGS.length;
    assert.equal(count(lines, /^GET tags bench\/app$/), 1, 'one source list for both manifests');
    assert.equal(count(lines, /^GET tags (immutable|mutable)\/app$/), 2);
    assert.equal(count(lines, /^HEAD bench\/app:/), 2 * n, 'each manifest asks each source tag');
    assert.equal(count(lines, /^HEAD (immutable|mutable)\/app:\S+ 200$/), 2 * n);
    assert.equal(lines.length, 3 + 4 * n);
    const report = h!.reconciler.lastReport()!;
    for (const m of report.manifests) {
      assert.equal(m.result, 'Unchanged', `${m.name}: ${m.message}`);
      assert.equal(m.details?.upToDate, n, m.name);
    }
  });

  it('a no-op sync of N immutable tags costs one tag list per side; mutable tags are asked with If-None-Match', async () => {
    const lines = await asked(() => h!.reconciler.sync('manual'));
    const n = TAGS.length;
    assert.deepEqual(
      lines.filter((l) => / immutable\/app/.test(l)),
      ['GET tags immutable/app'],
      'nothing per tag at the immutable destination',
    );
    assert.equal(count(lines, /^GET tags bench\/app$/), 1);
    // Every per-tag request left is the mutable manifest's, and each is answered 304 Not Modified.
    assert.equal(count(lines, /^HEAD bench\/app:\S+ 304$/), n);
    assert.equal(count(lines, /^HEAD mutable\/app:\S+ 304$/), n);
    assert.equal(lines.length, 3 + 2 * n);
    const immutable = h!.reconciler.lastReport()!.manifests.find((m) => m.name === 'immutable')!;
    assert.equal(immutable.details?.unchecked, n);
    assert.match(
      String(immutable.details?.observed),
      new RegExp(`${n} up to date \\(${n} immutable, not asked again\\)`),
    );
  });

  it('after a restart, costs the same two tag lists for the immutable manifest and writes nothing', async () => {
    const restarted = h!.restart();
    const mark = h!.auditMark();
    let report: Awaited<ReturnType<typeof restarted.sync>> | undefined;
    const lines = await asked(async () => {
      report = await restarted.sync('startup');
    });
    assert.deepEqual(
      lines.filter((l) => / immutable\/app/.test(l)),
      ['GET tags immutable/app'],
    );
    assert.equal(
      count(lines, /^HEAD bench\/app:\S+ 304$/),
      TAGS.length,
      'the mutable manifest, conditionally',
    );
    assert.equal(report?.result, 'NoChange');
    assert.deepEqual(h!.writesSince(mark), [], 'no write of any kind, the stored status included');
    h!.reconciler = restarted;
  });

  it('asks again, and copies, an immutable tag whose copy was deleted', async () => {
    await deleteTagged(destination, 'immutable/app', 'v1.0.7');
    const lines = await asked(() => h!.reconciler.sync('manual'));
    assert.deepEqual(
      lines.filter((l) => / immutable\/app/.test(l)),
      ['GET tags immutable/app'],
      'listed: no HEAD at the destination',
    );
    // The mutable manifest's n source HEADs, and the immutable manifest's one for the deleted copy.
    assert.equal(count(lines, /^HEAD bench\/app:\S+ 304$/), TAGS.length + 1);
    assert.equal(count(lines, /^HEAD bench\/app:v1\.0\.7 304$/), 2);
    const immutable = h!.reconciler.lastReport()!.manifests.find((m) => m.name === 'immutable')!;
    assert.deepEqual(
      ((immutable.details?.pending ?? []) as Array<{ sourceRef: string }>).map((p) => p.sourceRef),
      ['v1.0.7'],
    );
    assert.ok(
      immutable.objects.some((o) => o.kind === 'Job'),
      'a copy Job for it',
    );
  });

  it('keeps the digests in the stored status, and forgets those of a manifest removed from Git', async () => {
    const stored = () => new StatusStore(h!.kube, h!.namespace, h!.namespace).load();
    const keys = Object.keys((await stored())?.memory ?? {}).sort();
    assert.deepEqual(keys, ['ImageSync/immutable', 'ImageSync/mutable']);
    await h!.git.commitFiles(h!.repo, { 'mutable.yaml': null }, 'remove the mutable copy');
    await h!.reconciler.sync('manual');
    assert.deepEqual(Object.keys((await stored())?.memory ?? {}), ['ImageSync/immutable']);
  });
});
