// Signatures travel with the image, and can be required: images signed by the real cosign on a loopback
// registry, an ImageSync with `verify` through the whole engine, its Jobs run locally as their pods would.
// Only the image whose signature verifies with the manifest's public key is copied, with its `.sig` and
// `.att` beside it, and `cosign verify` accepts the copy; the unsigned one and the one signed by another key
// are not copied, and the status says why. The copy goes by the digest verified, even if the tag moves.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { jobCommand } from '../../src/jobs/job-template.js';
import { completePendingJobs } from '../support/complete-jobs.js';
import {
  attestImage,
  type CosignKeyPair,
  generateKeyPair,
  signImage,
  verifyImage,
} from '../support/cosign.js';
import { type EngineHarness, startEngine } from '../support/engine-harness.js';
import { pushTestImage } from '../support/oci-image.js';
import { listTags, manifestDigest, startRegistry, type TestRegistry } from '../support/registry.js';

const JOB = { apiVersion: 'batch/v1', kind: 'Job' } as const;

const stem = (digest: string) => digest.replace(':', '-');

describe('ImageSync with verify: signed by cosign, verified before the copy, signatures copied along', function () {
  this.timeout(600_000);
  let source: TestRegistry;
  let destination: TestRegistry;
  let h: EngineHarness;
  let trusted: CosignKeyPair;
  let stranger: CosignKeyPair;
  const digests: Record<string, string> = {};

  before(async () => {
    [source, destination] = await Promise.all([
      startRegistry(),
      startRegistry({ auth: { username: 'pusher', password: 'push-secret' } }),
    ]);
    [trusted, stranger] = await Promise.all([generateKeyPair(), generateKeyPair()]);
    for (const tag of ['1.0.0', '1.1.0', '1.2.0']) {
      digests[tag] = await pushTestImage(source, 'team/app', tag, {
        architectures: ['amd64', 'arm64'],
        marker: `release ${tag}`,
      });
    }
    const at = (tag: string) => `${source.host}/team/app@${digests[tag]}`;
    await signImage(trusted, at('1.0.0'));
    await attestImage(trusted, at('1.0.0'), { builtBy: 'the release pipeline' });
    // 1.1.0 is not signed; 1.2.0 is signed by a key the manifest does not trust.
    await signImage(stranger, at('1.2.0'));
  });
  after(async () => {
    await h?.close();
    await Promise.all([source, destination].filter(Boolean).map((r) => r.stop()));
  });

  const runPendingJobs = () => completePendingJobs(h.cp.kubeApi, h.namespace);

  it('copies only the image signed by the trusted key, its signature and attestation first', async () => {
    assert.ok((await listTags(source, 'team/app')).includes(`${stem(digests['1.0.0']!)}.sig`));
    h = await startEngine(
      {
        'sync/app.yaml': `apiVersion: image-gitops.io/v1alpha1
kind: ImageSync
metadata:
  name: app
spec:
  source:
    image: ${source.host}/team/app
  destination:
    image: ${destination.host}/mirror/app
  tags:
    pattern: 1.x.x
  verify:
    publicKey: { secret: cosign-public-key }
  registries:
    - host: ${source.host}
      tlsVerify: false
    - host: ${destination.host}
      tlsVerify: false
      credentialsSecret: destination-push
`,
      },
      { SYNC_TAGS_PER_JOB: '1' },
    );
    const labels = { 'image-gitops.io/usable-by-manifests': 'true' };
    await h.cp.kubeApi.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'destination-push', namespace: h.namespace, labels },
      stringData: { username: 'pusher', password: 'push-secret' },
    });
    await h.cp.kubeApi.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'cosign-public-key', namespace: h.namespace, labels },
      stringData: { 'cosign.pub': readFileSync(trusted.publicKeyFile, 'utf8') },
    });

    const first = await h.reconciler.sync('manual');
    assert.equal(first.result, 'Succeeded', JSON.stringify(first.manifests));
    const status = first.manifests.find((m) => m.key === 'ImageSync/app')!;
    const verdicts = Object.fromEntries(
      (status.details!.verification as Array<{ sourceRef: string; state: string; message: string }>).map(
        (v) => [v.sourceRef, v],
      ),
    );
    assert.equal(verdicts['1.0.0']?.state, 'Verified');
    assert.equal(verdicts['1.1.0']?.state, 'NotSigned');
    assert.match(verdicts['1.1.0']!.message, /no sha256-[a-f0-9]{64}\.sig at the source/);
    assert.equal(verdicts['1.2.0']?.state, 'BadSignature');
    assert.match(verdicts['1.2.0']!.message, /does not verify with the public key/);
    assert.match(
      String(status.details?.observed),
      /1 to copy, 1 verified, 2 not copied \(unverified: 1 NotSigned, 1 BadSignature\)/,
    );

    const jobs = await h.kube.list(JOB, h.namespace);
    assert.equal(jobs.length, 1, 'one Job: the verified 1.0.0 only');
    const lines = (jobCommand(jobs[0]!)?.[2] ?? '').trim().split('\n');
    assert.equal(lines.length, 3, lines.join('\n'));
    assert.match(lines[0]!, new RegExp(`:${stem(digests['1.0.0']!)}\\.sig `));
    assert.match(lines[1]!, new RegExp(`:${stem(digests['1.0.0']!)}\\.att `));
    assert.match(lines[2]!, new RegExp(`team/app@${digests['1.0.0']} docker://\\S+/mirror/app:1\\.0\\.0$`));

    // Between the check and the copy the source tag moves to an unsigned image: the verified digest is copied.
    const moved = await pushTestImage(source, 'team/app', '1.0.0', { marker: 'pushed over 1.0.0, unsigned' });
    assert.notEqual(moved, digests['1.0.0']);
    assert.equal((await runPendingJobs()).length, 1);

    assert.deepEqual((await listTags(destination, 'mirror/app')).sort(), [
      '1.0.0',
      `${stem(digests['1.0.0']!)}.att`,
      `${stem(digests['1.0.0']!)}.sig`,
    ]);
    assert.equal(await manifestDigest(destination, 'mirror/app', '1.0.0'), digests['1.0.0']);
    const auth = { host: destination.host, username: 'pusher', password: 'push-secret' };
    const copy = `${destination.host}/mirror/app:1.0.0`;
    const verified = await verifyImage(trusted.publicKeyFile, copy, auth);
    assert.match(verified, new RegExp(`"docker-manifest-digest":"${digests['1.0.0']}"`));
    await assert.rejects(verifyImage(stranger.publicKeyFile, copy, auth), /no matching signatures/);
  });

  it('does not copy the moved, unsigned tag, and says why', async () => {
    const next = await h.reconciler.sync('schedule');
    const status = next.manifests.find((m) => m.key === 'ImageSync/app')!;
    const verification = status.details!.verification as Array<{ sourceRef: string; state: string }>;
    assert.deepEqual(verification.map((v) => `${v.sourceRef} ${v.state}`).sort(), [
      '1.0.0 NotSigned',
      '1.1.0 NotSigned',
      '1.2.0 BadSignature',
    ]);
    assert.equal((await runPendingJobs()).length, 0, 'no Job for an unverified image');
    assert.equal(await manifestDigest(destination, 'mirror/app', '1.0.0'), digests['1.0.0']);
    assert.deepEqual((await listTags(destination, 'mirror/app')).sort(), [
      '1.0.0',
      `${stem(digests['1.0.0']!)}.att`,
      `${stem(digests['1.0.0']!)}.sig`,
    ]);
  });
});
