// OCI 1.1 referrers travel with the image, and a signature referrer can be required: images signed by the
// real cosign with `--registry-referrers-mode=oci-1-1` into a registry that serves the referrers API
// (test/support/oci-registry.ts), ImageSyncs with `verify` through the whole engine to a referrers-capable
// destination and to Debian's docker-registry 2.8 (no referrers API), their Jobs' own skopeo lines run
// locally as their pods would. The referrer lands at each destination under its own digest with its subject
// intact; only the image whose signature referrer verifies is published under its tag. And from a source
// without the API, where cosign keeps the referrers in the tag schema's `sha256-<hex>` index, the signature
// is found there, verified, and the referrer it lists copied by digest to a destination that lists it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { jobCommand } from '../../src/jobs/job-template.js';
import { RegistryClient } from '../../src/registry/client.js';
import { COSIGN_SIGNATURE_ARTIFACT_TYPE } from '../../src/registry/referrers.js';
import { completePendingJobs } from '../support/complete-jobs.js';
import { type CosignKeyPair, generateKeyPair, signImage, verifyImage } from '../support/cosign.js';
import { type EngineHarness, startEngine } from '../support/engine-harness.js';
import { pushTestImage } from '../support/oci-image.js';
import { startOciRegistry } from '../support/oci-registry.js';
import {
  fetchManifest,
  listTags,
  manifestDigest,
  registryRequest,
  startRegistry,
  type TestRegistry,
} from '../support/registry.js';

const JOB = { apiVersion: 'batch/v1', kind: 'Job' } as const;
const labels = { 'image-gitops.io/usable-by-manifests': 'true' };
const stem = (digest: string) => digest.replace(':', '-');

interface Verdict {
  sourceRef: string;
  state: string;
  via?: string;
  message: string;
}

function imageSync(name: string, source: TestRegistry, destination: TestRegistry, pattern: string): string {
  return `apiVersion: image-gitops.io/v1alpha1
kind: ImageSync
metadata:
  name: ${name}
spec:
  source:
    image: ${source.host}/team/app
  destination:
    image: ${destination.host}/mirror/${name}
  tags:
    pattern: ${pattern}
  verify:
    publicKey: { secret: cosign-public-key }
  registries:
    - host: ${source.host}
      tlsVerify: false
    - host: ${destination.host}
      tlsVerify: false
${destination.auth ? '      credentialsSecret: destination-push\n' : ''}`;
}

/** The referrers the registry's API lists for a digest (its answer checked: an OCI image index). */
async function referrersAt(registry: TestRegistry, repo: string, digest: string) {
  const res = await registryRequest(registry, 'GET', `/v2/${repo}/referrers/${digest}`);
  assert.equal(res.status, 200, res.body);
  assert.match(String(res.headers['content-type']), /application\/vnd\.oci\.image\.index\.v1\+json/);
  return (JSON.parse(res.body) as { manifests: Array<{ digest: string; artifactType?: string }> }).manifests;
}

async function subjectAt(registry: TestRegistry, repo: string, digest: string) {
  const manifest = await fetchManifest(registry, repo, digest);
  assert.equal(manifest.status, 200, `${repo}@${digest} at ${registry.host}: ${manifest.body}`);
  assert.equal(manifest.digest, digest);
  return (JSON.parse(manifest.body) as { subject?: { digest: string } }).subject?.digest;
}

describe('ImageSync with OCI 1.1 referrers: signed by cosign as referrers, verified, copied by digest', function () {
  this.timeout(600_000);
  let source: TestRegistry;
  let withApi: TestRegistry;
  let withoutApi: TestRegistry;
  let h: EngineHarness;
  let trusted: CosignKeyPair;
  let stranger: CosignKeyPair;
  const digests: Record<string, string> = {};
  let signature: string;

  before(async () => {
    [source, withApi, withoutApi] = await Promise.all([
      startOciRegistry(),
      startOciRegistry(),
      startRegistry({ auth: { username: 'pusher', password: 'push-secret' } }),
    ]);
    [trusted, stranger] = await Promise.all([generateKeyPair(), generateKeyPair()]);
    for (const tag of ['1.0.0', '1.2.0']) {
      digests[tag] = await pushTestImage(source, 'team/app', tag, {
        architectures: ['amd64', 'arm64'],
        marker: `release ${tag}`,
      });
    }
    await signImage(trusted, `${source.host}/team/app@${digests['1.0.0']}`, { referrers: true });
    // 1.2.0 is signed the same way by a key the manifests do not trust.
    await signImage(stranger, `${source.host}/team/app@${digests['1.2.0']}`, { referrers: true });
  });
  after(async () => {
    await h?.close();
    await Promise.all([source, withApi, withoutApi].filter(Boolean).map((r) => r.stop()));
  });

  it('cosign put the signature in a referrer, not a tag (the registry serves the API)', async () => {
    assert.deepEqual(await listTags(source, 'team/app'), ['1.0.0', '1.2.0']);
    const referrers = await referrersAt(source, 'team/app', digests['1.0.0']!);
    assert.equal(referrers.length, 1);
    assert.equal(referrers[0]!.artifactType, COSIGN_SIGNATURE_ARTIFACT_TYPE);
    signature = referrers[0]!.digest;
    assert.equal(await subjectAt(source, 'team/app', signature), digests['1.0.0']);
    // The registry ignores the artifactType filter (no OCI-Filters-Applied): the client filters itself.
    const client = new RegistryClient({ access: () => ({ tlsVerify: false }) });
    const image = { registry: source.host, repository: 'team/app' };
    const none = await client.listReferrers(image, digests['1.0.0']!, {
      artifactType: 'application/spdx+json',
    });
    assert.deepEqual(none, { via: 'api', referrers: [] });
  });

  it('verifies the signature referrer, copies it by digest before the image, and publishes only that tag', async () => {
    h = await startEngine({
      'sync/to-api.yaml': imageSync('to-api', source, withApi, '1.x.x'),
      'sync/to-plain.yaml': imageSync('to-plain', source, withoutApi, '1.x.x'),
    });
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
    for (const name of ['to-api', 'to-plain']) {
      const status = first.manifests.find((m) => m.key === `ImageSync/${name}`)!;
      const verdicts = Object.fromEntries(
        (status.details!.verification as Verdict[]).map((v) => [v.sourceRef, v]),
      );
      assert.equal(verdicts['1.0.0']?.state, 'Verified', JSON.stringify(verdicts));
      assert.equal(verdicts['1.0.0']?.via, 'referrer');
      assert.match(
        verdicts['1.0.0']!.message,
        new RegExp(`^referrer ${signature}: signature 1 of 1 verifies`),
      );
      assert.equal(verdicts['1.2.0']?.state, 'BadSignature');
      assert.equal(verdicts['1.2.0']?.via, undefined);
      assert.match(verdicts['1.2.0']!.message, /^referrer sha256:[a-f0-9]{64}: signature 1: does not verify/);
      assert.match(
        String(status.details?.observed),
        /1 to copy, 1 verified, 1 not copied \(unverified: 1 BadSignature\)/,
      );
    }

    const jobs = await h.kube.list(JOB, h.namespace);
    assert.equal(jobs.length, 2, 'one Job per ImageSync: the verified 1.0.0 only');
    for (const job of jobs) {
      const lines = (jobCommand(job)?.[2] ?? '').trim().split('\n');
      assert.equal(lines.length, 2, lines.join('\n'));
      // The referrer by digest to the same digest, bytes kept; then the image by the digest verified, tag last.
      assert.match(
        lines[0]!,
        new RegExp(`--preserve-digests .*team/app@${signature} docker://\\S+/mirror/to-\\w+@${signature}$`),
      );
      assert.match(
        lines[1]!,
        new RegExp(
          `--preserve-digests .*team/app@${digests['1.0.0']} docker://\\S+/mirror/to-\\w+:1\\.0\\.0$`,
        ),
      );
    }
    assert.equal((await completePendingJobs(h.cp.kubeApi, h.namespace)).length, 2);

    // At the destination with the API: the same referrer, found from the image by the API, and cosign agrees.
    assert.deepEqual(await listTags(withApi, 'mirror/to-api'), ['1.0.0']);
    assert.equal(await manifestDigest(withApi, 'mirror/to-api', '1.0.0'), digests['1.0.0']);
    assert.deepEqual(
      (await referrersAt(withApi, 'mirror/to-api', digests['1.0.0']!)).map((r) => [r.digest, r.artifactType]),
      [[signature, COSIGN_SIGNATURE_ARTIFACT_TYPE]],
    );
    assert.equal(await subjectAt(withApi, 'mirror/to-api', signature), digests['1.0.0']);
    const copy = `${withApi.host}/mirror/to-api:1.0.0`;
    const verified = await verifyImage(trusted.publicKeyFile, copy, undefined, { referrers: true });
    assert.match(verified, new RegExp(`"docker-manifest-digest":"${digests['1.0.0']}"`));
    // cosign's own word, in OCI 1.1 mode, for signatures there that none verifies with the key.
    await assert.rejects(
      verifyImage(stranger.publicKeyFile, copy, undefined, { referrers: true }),
      /no signatures found/,
    );

    // At docker-registry 2.8 (no referrers API): the referrer under its digest, its subject intact; skopeo
    // writes no tag schema index, so nothing lists it there.
    assert.deepEqual(await listTags(withoutApi, 'mirror/to-plain'), ['1.0.0']);
    assert.equal(await manifestDigest(withoutApi, 'mirror/to-plain', '1.0.0'), digests['1.0.0']);
    assert.equal(await subjectAt(withoutApi, 'mirror/to-plain', signature), digests['1.0.0']);
    const api = await registryRequest(withoutApi, 'GET', `/v2/mirror/to-plain/referrers/${digests['1.0.0']}`);
    assert.equal(api.status, 404);

    // Nothing is published under the tag whose signature does not verify.
    for (const [registry, repo] of [
      [withApi, 'mirror/to-api'],
      [withoutApi, 'mirror/to-plain'],
    ] as const) {
      assert.equal((await fetchManifest(registry, repo, '1.2.0')).status, 404);
      assert.equal((await fetchManifest(registry, repo, digests['1.2.0']!)).status, 404);
    }
  });

  it('the next sync is steady: nothing left to copy, no Job', async () => {
    const next = await h.reconciler.sync('schedule');
    for (const name of ['to-api', 'to-plain']) {
      const status = next.manifests.find((m) => m.key === `ImageSync/${name}`)!;
      const verification = status.details!.verification as Verdict[];
      assert.deepEqual(
        verification.map((v) => `${v.sourceRef} ${v.state}`),
        ['1.2.0 BadSignature'],
      );
    }
    assert.equal((await completePendingJobs(h.cp.kubeApi, h.namespace)).length, 0);
  });
});

describe('ImageSync with OCI 1.1 referrers from a registry without the API (the tag schema index)', function () {
  this.timeout(600_000);
  let source: TestRegistry;
  let destination: TestRegistry;
  let h: EngineHarness;
  let trusted: CosignKeyPair;
  let digest: string;

  before(async () => {
    [source, destination] = await Promise.all([startRegistry(), startOciRegistry()]);
    trusted = await generateKeyPair();
    digest = await pushTestImage(source, 'team/app', '2.0.0', { marker: 'release 2.0.0' });
    await signImage(trusted, `${source.host}/team/app@${digest}`, { referrers: true });
  });
  after(async () => {
    await h?.close();
    await Promise.all([source, destination].filter(Boolean).map((r) => r.stop()));
  });

  it('finds the signature in the sha256-<hex> index, verifies it, and copies the referrer it lists', async () => {
    // cosign fell back to the tag schema: an index under sha256-<hex> listing its signature manifest.
    assert.deepEqual(await listTags(source, 'team/app'), ['2.0.0', stem(digest)]);
    const fallback = JSON.parse((await fetchManifest(source, 'team/app', stem(digest))).body) as {
      manifests: Array<{ digest: string; artifactType?: string }>;
    };
    assert.equal(fallback.manifests.length, 1);
    const signature = fallback.manifests[0]!.digest;

    h = await startEngine({ 'sync/from-plain.yaml': imageSync('from-plain', source, destination, '2.x.x') });
    await h.cp.kubeApi.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'cosign-public-key', namespace: h.namespace, labels },
      stringData: { 'cosign.pub': readFileSync(trusted.publicKeyFile, 'utf8') },
    });
    const first = await h.reconciler.sync('manual');
    assert.equal(first.result, 'Succeeded', JSON.stringify(first.manifests));
    const status = first.manifests.find((m) => m.key === 'ImageSync/from-plain')!;
    const [verdict] = status.details!.verification as Verdict[];
    assert.equal(verdict?.state, 'Verified', JSON.stringify(verdict));
    assert.equal(verdict?.via, 'referrer');
    assert.match(
      verdict!.message,
      new RegExp(`^referrer \\(tag schema\\) ${signature}: signature 1 of 1 verifies`),
    );

    const [job] = await h.kube.list(JOB, h.namespace);
    const lines = (jobCommand(job!)?.[2] ?? '').trim().split('\n');
    // The referrer the index lists, by digest (skopeo cannot write the index itself unchanged), the image last.
    assert.equal(lines.length, 2, lines.join('\n'));
    assert.match(lines[0]!, new RegExp(`--preserve-digests .*app@${signature} docker://\\S+@${signature}$`));
    assert.match(lines[1]!, new RegExp(`app@${digest} docker://\\S+/mirror/from-plain:2\\.0\\.0$`));
    assert.equal((await completePendingJobs(h.cp.kubeApi, h.namespace)).length, 1);

    // The destination serves the API: it lists the referrer by its subject; the index tag is not copied.
    assert.deepEqual(await listTags(destination, 'mirror/from-plain'), ['2.0.0']);
    assert.deepEqual(
      (await referrersAt(destination, 'mirror/from-plain', digest)).map((r) => r.digest),
      [signature],
    );
    assert.equal(await subjectAt(destination, 'mirror/from-plain', signature), digest);
    assert.equal(await manifestDigest(destination, 'mirror/from-plain', '2.0.0'), digest);
    const verified = await verifyImage(
      trusted.publicKeyFile,
      `${destination.host}/mirror/from-plain:2.0.0`,
      undefined,
      {
        referrers: true,
      },
    );
    assert.match(verified, new RegExp(`"docker-manifest-digest":"${digest}"`));
  });
});
