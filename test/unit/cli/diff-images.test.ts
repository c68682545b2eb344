// `diff` shows what the manifests would do to images next to the object diffs: copies with both digests,
// builds with why; a manifest with nothing to do is left out; JSON carries every plan.
import assert from 'node:assert/strict';
import { diffOutput, imagePlanLines } from '../../../src/cli/diff.js';
import { copyImagePlan } from '../../../src/jobs/copy-plan.js';
import { copyPairFor } from '../../../src/kinds/image-sync/naming.js';
import type { ImageSyncSpec } from '../../../src/kinds/image-sync/spec.js';
import type { SyncReport } from '../../../src/status/types.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const OLD = `sha256:${'0'.repeat(64)}`;
const spec = {
  source: { image: 'quay.io/team/app' },
  destination: { image: 'mirror.example.com/team/app' },
  tags: { pattern: '1.x.x' },
} as ImageSyncSpec;
const job = (name: string) => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name } });

function report(): SyncReport {
  return {
    startedAt: '',
    finishedAt: '',
    durationSeconds: 0,
    trigger: 'cli',
    result: 'Succeeded',
    fetchSkipped: false,
    manifests: [],
    fileProblems: [],
    counts: { applied: 0, unchanged: 0, pruned: 0, failed: 0, kept: 0 },
    appliedByKind: {},
    prunedByKind: {},
  } as SyncReport;
}

describe('diff: the image plan', () => {
  const copies = copyImagePlan({
    pairFor: (ref) => copyPairFor(spec, ref),
    pending: [
      { sourceRef: '1.1.0', digest: D1 },
      { sourceRef: '1.0.0', digest: D2 },
    ],
    replaces: { '1.0.0': OLD },
    objects: [job('app-sync-a'), job('app-sync-b')],
    live: [job('app-sync-a')],
    upToDate: 4,
  });

  it('names each copy: source and digest, destination, and the digest replaced there', () => {
    assert.deepEqual(copies.copies, [
      {
        source: 'quay.io/team/app:1.1.0',
        sourceDigest: D1,
        destination: 'mirror.example.com/team/app:1.1.0',
      },
      {
        source: 'quay.io/team/app:1.0.0',
        sourceDigest: D2,
        destination: 'mirror.example.com/team/app:1.0.0',
        destinationDigest: OLD,
      },
    ]);
    assert.equal(
      copies.summary,
      '2 images to copy in 1 new Job; 4 up to date',
      'only the Job not live is new',
    );
  });

  it('bounds the list and counts the rest', () => {
    const many = copyImagePlan({
      pairFor: (ref) => copyPairFor(spec, ref),
      pending: Array.from({ length: 30 }, (_, i) => ({ sourceRef: `1.0.${i}`, digest: D1 })),
      objects: [],
      live: [],
      upToDate: 0,
    });
    assert.equal(many.copies?.length, 25);
    assert.equal(many.more, 5);
    assert.match(many.summary, /^30 images to copy \(already in running Jobs, or held back\); 0 up to date$/);
  });

  it('prints copies and builds in the text output, and leaves out manifests with nothing to do', () => {
    const out = diffOutput({
      report: report(),
      changes: [],
      imagePlans: [
        { manifest: 'ImageSync/app', ...copies },
        {
          manifest: 'ImageBuild/web',
          summary: 'builds r/web:abc (amd64)',
          builds: [{ image: 'r/web:abc', build: true, why: 'no build of this content yet' }],
        },
        { manifest: 'ImageSync/quiet', summary: '0 images to copy; 3 up to date' },
      ],
    });
    const lines = out.text.split('\n');
    assert.ok(lines.includes('images ImageSync/app: 2 images to copy in 1 new Job; 4 up to date'));
    assert.ok(
      lines.includes(
        `    copy quay.io/team/app:1.0.0@sha256:${'2'.repeat(12)}… → mirror.example.com/team/app:1.0.0 (replaces sha256:${'0'.repeat(12)}…)`,
      ),
    );
    assert.ok(lines.includes('    build r/web:abc: no build of this content yet'));
    assert.ok(!out.text.includes('ImageSync/quiet'), 'nothing to do: not shown');
    assert.equal(out.exitCode, 0, 'image work alone is not an object change');
    assert.equal((out.json as { images: unknown[] }).images.length, 3, 'JSON keeps every plan');
  });

  it('gives the markdown an Images section with a copy table and the builds', () => {
    const out = diffOutput({
      report: report(),
      changes: [],
      imagePlans: [{ manifest: 'ImageSync/app', ...copies }],
    });
    assert.match(
      out.markdown,
      /\n### Images\n\n\*\*`ImageSync\/app`\*\*: 2 images to copy in 1 new Job; 4 up to date\n/,
    );
    assert.ok(
      out.markdown.includes(
        `| \`quay.io/team/app:1.0.0\` | \`${D2}\` | \`mirror.example.com/team/app:1.0.0\` | \`${OLD}\` |`,
      ),
    );
    assert.ok(
      out.markdown.includes(
        `| \`quay.io/team/app:1.1.0\` | \`${D1}\` | \`mirror.example.com/team/app:1.1.0\` | new |`,
      ),
    );
  });

  it('says when a listed build will not run', () => {
    assert.deepEqual(
      imagePlanLines({
        manifest: 'ImageBuild/web',
        summary: 'no build',
        builds: [{ image: 'r/web:abc', build: false, why: 'built already: Job web-build-1 (commit abc)' }],
      }),
      [
        'images ImageBuild/web: no build',
        '    no build of r/web:abc: built already: Job web-build-1 (commit abc)',
      ],
    );
  });
});
