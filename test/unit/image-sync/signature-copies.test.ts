// The copy Job of an image with cosign's tags beside it: those first, bytes unchanged, the image tag last;
// with `verify`, the image read by the digest verified. And the pure rules around verify.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import type { KubeObject } from '../../../src/core/kube-object.js';
import { jobCommand } from '../../../src/jobs/job-template.js';
import { checkImageSync } from '../../../src/kinds/image-sync/check.js';
import { timedFrequency } from '../../../src/kinds/image-sync/recurrence.js';
import { renderImageSync } from '../../../src/kinds/image-sync/render.js';
import type { ImageSyncSpec } from '../../../src/kinds/image-sync/spec.js';
import { describeSigned } from '../../../src/kinds/image-sync/verify.js';
import { artifactTagsOf, copiedArtifactTags } from '../../../src/registry/cosign-signatures.js';
import { imageDetails } from '../../../src/status/details.js';
import { context, observed, syncManifest } from './fixtures.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const STEM = `sha256-${'ab'.repeat(32)}`;
const SPEC: ImageSyncSpec = {
  source: { image: 'quay.io/team/app' },
  destination: { image: 'registry.example.com/mirror/app' },
  tags: { pattern: 'v1.x.x' },
};
const VERIFIED: ImageSyncSpec = { ...SPEC, verify: { publicKey: { secret: 'cosign-public-key' } } };
const COPY = { sourceRef: 'v1.0.0', digest: DIGEST, artifactTags: [`${STEM}.sig`, `${STEM}.att`] };

const jobsOf = (objects: KubeObject[]) => objects.filter((o) => o.kind === 'Job');
const linesOf = (job: KubeObject) => (jobCommand(job)?.[2] ?? '').trim().split('\n');

describe('ImageSync copies with the tags beside the image', () => {
  it("copies cosign's tags first, to the same names, digests preserved, and the image tag last", () => {
    const [job] = jobsOf(renderImageSync(syncManifest(SPEC), context(observed([COPY]))));
    assert.deepEqual(linesOf(job!), [
      `skopeo copy --all --retry-times 3 --preserve-digests docker://quay.io/team/app:${STEM}.sig docker://registry.example.com/mirror/app:${STEM}.sig`,
      `skopeo copy --all --retry-times 3 --preserve-digests docker://quay.io/team/app:${STEM}.att docker://registry.example.com/mirror/app:${STEM}.att`,
      'skopeo copy --all --retry-times 3 docker://quay.io/team/app:v1.0.0 docker://registry.example.com/mirror/app:v1.0.0',
    ]);
  });

  it('with verify, reads the image by the digest verified and writes it unchanged under its tag', () => {
    const [job] = jobsOf(renderImageSync(syncManifest(VERIFIED), context(observed([COPY]))));
    const lines = linesOf(job!);
    assert.equal(lines.length, 3);
    assert.equal(
      lines[2],
      `skopeo copy --all --retry-times 3 --preserve-digests docker://quay.io/team/app@${DIGEST} docker://registry.example.com/mirror/app:v1.0.0`,
    );
  });

  it('copies the tags beside a one-platform image without the platform flags, the image with them', () => {
    const spec = { ...VERIFIED, platforms: ['linux/arm64'] };
    const [job] = jobsOf(renderImageSync(syncManifest(spec), context(observed([COPY]))));
    const lines = linesOf(job!);
    assert.ok(lines[0]!.startsWith('skopeo copy --all '), lines[0]);
    assert.ok(lines[2]!.startsWith('skopeo --override-os linux --override-arch arm64 copy '), lines[2]);
  });

  it('makes the same Job as before for an image without such tags', () => {
    const [job] = jobsOf(
      renderImageSync(syncManifest(SPEC), context(observed([{ sourceRef: 'v1.0.0', digest: DIGEST }]))),
    );
    assert.deepEqual(linesOf(job!), [
      'skopeo copy --all --retry-times 3 docker://quay.io/team/app:v1.0.0 docker://registry.example.com/mirror/app:v1.0.0',
    ]);
  });

  it('keeps a live Job with the same copies and tags as it is (its annotation names them)', () => {
    const manifest = syncManifest(SPEC);
    const [job] = jobsOf(renderImageSync(manifest, context(observed([COPY]))));
    // Next sync: the copy is still pending, and the live Job is found again, not replaced or doubled.
    const again = jobsOf(renderImageSync(manifest, context(observed([COPY]), { live: [job!] })));
    assert.deepEqual(
      again.map((j) => j.metadata.name),
      [job!.metadata.name],
    );
    assert.deepEqual(linesOf(again[0]!), linesOf(job!));
  });

  it('copies OCI referrers by digest to the same digest after the tags, then the image by its digest', () => {
    const sig = `sha256:${'01'.repeat(32)}`;
    const sbom = `sha256:${'02'.repeat(32)}`;
    const copy = { ...COPY, referrers: [sig, sbom] };
    const [job] = jobsOf(renderImageSync(syncManifest(SPEC), context(observed([copy]))));
    assert.deepEqual(linesOf(job!).slice(2), [
      `skopeo copy --all --retry-times 3 --preserve-digests docker://quay.io/team/app@${sig} docker://registry.example.com/mirror/app@${sig}`,
      `skopeo copy --all --retry-times 3 --preserve-digests docker://quay.io/team/app@${sbom} docker://registry.example.com/mirror/app@${sbom}`,
      // The referrers name this digest as their subject: the image goes by it, bytes unchanged, its tag last.
      `skopeo copy --all --retry-times 3 --preserve-digests docker://quay.io/team/app@${DIGEST} docker://registry.example.com/mirror/app:v1.0.0`,
    ]);
    // The Job's annotation names them: a live Job is found again, not doubled.
    const again = jobsOf(renderImageSync(syncManifest(SPEC), context(observed([copy]), { live: [job!] })));
    assert.deepEqual(
      again.map((j) => j.metadata.name),
      [job!.metadata.name],
    );
    assert.notEqual(
      job!.metadata.name,
      jobsOf(renderImageSync(syncManifest(SPEC), context(observed([COPY]))))[0]!.metadata.name,
    );
  });

  it('copies a one-platform image with its referrers: those whole, without the platform flags', () => {
    const sig = `sha256:${'01'.repeat(32)}`;
    const spec = { ...SPEC, platforms: ['linux/arm64'] };
    const [job] = jobsOf(
      renderImageSync(
        syncManifest(spec),
        context(observed([{ sourceRef: 'v1.0.0', digest: DIGEST, referrers: [sig] }])),
      ),
    );
    const lines = linesOf(job!);
    assert.equal(lines.length, 2);
    assert.ok(lines[0]!.startsWith('skopeo copy --all '), lines[0]);
    assert.ok(lines[1]!.startsWith('skopeo --override-os linux --override-arch arm64 copy '), lines[1]);
  });

  it('shows where the verified signature was in the status details', () => {
    const verification = [
      { sourceRef: 'v1', digest: DIGEST, state: 'Verified', via: 'referrer', message: 'referrer x: ok' },
    ];
    const details = imageDetails({ message: 'm', verification }) ?? {};
    assert.deepEqual(details.verification, verification);
  });

  it('copies the cosign tags but not the referrers tag schema index (its referrers go by digest)', () => {
    const tags = copiedArtifactTags(artifactTagsOf(DIGEST));
    assert.deepEqual(tags, [`${STEM}.sig`, `${STEM}.att`, `${STEM}.sbom`]);
    const copy = { sourceRef: 'v1.0.0', digest: DIGEST, artifactTags: tags };
    const [job] = jobsOf(renderImageSync(syncManifest(SPEC), context(observed([copy]))));
    const lines = linesOf(job!);
    assert.equal(lines.length, 4);
    assert.ok(!lines.some((l) => l.includes(`app:${STEM} `)), lines.join('\n'));
  });
});

describe('ImageSync verify rules', () => {
  it('refuses a cron expression with verify: the reconciler must check each copy before its Job', () => {
    const problems = checkImageSync({
      ...VERIFIED,
      tags: undefined,
      source: { image: 'quay.io/team/app', tag: 'v1' },
      mode: 'Recurrent',
      schedule: '7 3 * * *',
    } as ImageSyncSpec);
    assert.deepEqual(
      problems.map((p) => p.field),
      ['/spec/schedule'],
    );
    assert.match(problems[0]!.message, /verify takes a frequency/);
  });

  it('times a Recurrent copy with verify by the reconciler, never by a CronJob that would copy unverified', () => {
    const single: ImageSyncSpec = {
      source: { image: 'quay.io/team/app', tag: 'v1' },
      destination: { image: 'registry.example.com/mirror/app' },
      mode: 'Recurrent',
      schedule: '15m',
    };
    assert.equal(timedFrequency(single), undefined);
    assert.equal(timedFrequency({ ...single, verify: VERIFIED.verify }), 15 * 60_000);
    const objects = renderImageSync(
      syncManifest({ ...single, verify: VERIFIED.verify }),
      context({
        ...observed([]),
        run: { due: true, record: { lastRun: '', nextDue: '', spec: '' } } as never,
      }),
    );
    assert.equal(objects.filter((o) => o.kind === 'CronJob').length, 0);
  });

  it('says how many were verified and why the others were not copied', () => {
    const check = (state: 'Verified' | 'NotSigned' | 'BadSignature') => ({
      sourceRef: 'v1',
      digest: DIGEST,
      state,
      message: state,
    });
    assert.equal(
      describeSigned({
        pending: [],
        verification: [check('NotSigned'), check('BadSignature'), check('NotSigned'), check('Verified')],
        waiting: 3,
      }),
      ', 1 verified, 3 not copied (unverified: 2 NotSigned, 1 BadSignature), 3 waiting to be verified at the next syncs',
    );
    assert.equal(describeSigned({ pending: [], waiting: 0 }), '');
  });

  it('puts each verdict in the status details, bounded, and never the key', () => {
    const verification = Array.from({ length: 30 }, (_, i) => ({
      sourceRef: `v1.0.${i}`,
      digest: DIGEST,
      state: 'NotSigned',
      message: `no ${STEM}.sig at the source`,
    }));
    const details = imageDetails({ message: 'm', verification, waiting: 4, key: 'PRIVATE' }) ?? {};
    assert.equal((details.verification as unknown[]).length, 25);
    assert.equal(details.verificationMore, 5);
    assert.equal(details.waiting, 4);
    assert.deepEqual((details.verification as unknown[])[0], verification[0]);
    assert.ok(!JSON.stringify(details).includes('PRIVATE'));
  });
});

describe('the verify example in sample-repo', () => {
  it('is valid against the schema and the checks once uncommented (its image carries no key signature)', () => {
    const text = readFileSync('sample-repo/image-sync/one-shot.yaml', 'utf8');
    assert.match(text, /\n {2}# verify:\n/);
    const uncommented = text.replace(/^ {2}# (verify:| {2}publicKey:)/gm, '  $1');
    const doc = parse(uncommented) as { spec: ImageSyncSpec };
    assert.deepEqual(doc.spec.verify, { publicKey: { secret: 'cosign-public-key', key: 'cosign.pub' } });
    const schema = JSON.parse(readFileSync('schemas/image-sync.schema.json', 'utf8')) as object;
    const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);
    assert.ok(validate(doc), JSON.stringify(validate.errors));
    assert.deepEqual(checkImageSync(doc.spec), []);
    assert.ok(!validate({ ...doc, spec: { ...doc.spec, verify: { publicKey: { key: 'cosign.pub' } } } }));
  });

  it('is live in signed.yaml, to which the comment points, with the same key', () => {
    assert.match(readFileSync('sample-repo/image-sync/one-shot.yaml', 'utf8'), /\bsigned\.yaml\b/);
    const live = parse(readFileSync('sample-repo/image-sync/signed.yaml', 'utf8')) as { spec: ImageSyncSpec };
    assert.deepEqual(live.spec.verify, { publicKey: { secret: 'cosign-public-key', key: 'cosign.pub' } });
  });
});
