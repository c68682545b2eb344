// OCI 1.1 referrers: the answer of `GET /v2/<name>/referrers/<digest>` read (an image index, or "not
// supported"), the artifactType filter (`OCI-Filters-Applied`), and the client's discovery against a small
// loopback server playing a registry: `Link` pages followed and bounded, a 404 falling back to the tag schema's
// index under `sha256-<hex>`, and the API not asked again once a repository's registry said it has none.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RegistryClient, RegistryError } from '../../../src/registry/client.js';
import {
  COSIGN_SIGNATURE_ARTIFACT_TYPE,
  filterByArtifactType,
  MAX_REFERRER_PAGES,
  OCI_INDEX_MEDIA_TYPE,
  readReferrersAnswer,
  referrersOfIndex,
  referrersPath,
  referrersToCopy,
} from '../../../src/registry/referrers.js';

const SUBJECT = `sha256:${'ab'.repeat(32)}`;
const SIG = `sha256:${'01'.repeat(32)}`;
const SBOM = `sha256:${'02'.repeat(32)}`;
const ATT = `sha256:${'03'.repeat(32)}`;
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const SBOM_TYPE = 'application/spdx+json';

const descriptor = (digest: string, artifactType?: string) => ({
  mediaType: MANIFEST,
  digest,
  size: 700,
  ...(artifactType ? { artifactType } : {}),
});
const index = (...manifests: object[]) => ({ schemaVersion: 2, mediaType: OCI_INDEX_MEDIA_TYPE, manifests });

describe('OCI referrers answers', () => {
  it('asks for the referrers of a digest, with the artifactType filter escaped', () => {
    assert.equal(referrersPath('team/app', SUBJECT), `/v2/team/app/referrers/${SUBJECT}`);
    assert.equal(
      referrersPath('team/app', SUBJECT, 'application/vnd.x+json'),
      `/v2/team/app/referrers/${SUBJECT}?artifactType=application%2Fvnd.x%2Bjson`,
    );
    assert.throws(() => referrersPath('team/app', 'latest'), /is not a digest/);
  });

  it('reads the descriptors of an OCI image index, leaving out those without a valid digest', () => {
    const body = index(
      descriptor(SIG, COSIGN_SIGNATURE_ARTIFACT_TYPE),
      { digest: 'sha256:nope' },
      { size: 3 },
    );
    assert.deepEqual(referrersOfIndex(body, OCI_INDEX_MEDIA_TYPE), [
      { digest: SIG, mediaType: MANIFEST, artifactType: COSIGN_SIGNATURE_ARTIFACT_TYPE, size: 700 },
    ]);
    // Its own mediaType says index when the Content-Type does not (a proxy's application/json).
    assert.equal(referrersOfIndex(body, 'application/json')?.length, 1);
  });

  it('takes no other body for an index: an image manifest, a Docker list, no manifests list', () => {
    assert.equal(
      referrersOfIndex({ schemaVersion: 2, mediaType: MANIFEST, layers: [] }, MANIFEST),
      undefined,
    );
    const dockerList = {
      mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json',
      manifests: [descriptor(SIG)],
    };
    assert.equal(referrersOfIndex(dockerList, dockerList.mediaType), undefined);
    assert.equal(referrersOfIndex({ manifests: [descriptor(SIG)] }, undefined), undefined);
    assert.equal(referrersOfIndex(null, OCI_INDEX_MEDIA_TYPE), undefined);
  });

  it('says "not supported" on a 404 (405, 501) or a body that is no index, and leaves other errors to the caller', () => {
    const body = Buffer.from(JSON.stringify(index(descriptor(SIG))));
    assert.deepEqual(readReferrersAnswer(200, OCI_INDEX_MEDIA_TYPE, body), {
      supported: true,
      referrers: [{ digest: SIG, mediaType: MANIFEST, size: 700 }],
    });
    assert.deepEqual(readReferrersAnswer(404, 'text/plain', Buffer.from('404 page not found')), {
      supported: false,
      why: 'the registry answered 404',
    });
    assert.equal(readReferrersAnswer(405, undefined, Buffer.alloc(0))?.supported, false);
    assert.deepEqual(readReferrersAnswer(200, 'text/html', Buffer.from('<html>')), {
      supported: false,
      why: 'the answer is not JSON',
    });
    assert.deepEqual(readReferrersAnswer(200, 'application/json', Buffer.from('{"tags":[]}')), {
      supported: false,
      why: 'the answer is not an OCI image index',
    });
    assert.equal(readReferrersAnswer(401, undefined, Buffer.alloc(0)), undefined);
    assert.equal(readReferrersAnswer(503, undefined, Buffer.alloc(0)), undefined);
  });

  it('filters by artifactType unless the registry says it did (OCI-Filters-Applied)', () => {
    const all = [
      { digest: SIG, artifactType: COSIGN_SIGNATURE_ARTIFACT_TYPE },
      { digest: SBOM, artifactType: SBOM_TYPE },
    ];
    assert.deepEqual(
      filterByArtifactType(all, COSIGN_SIGNATURE_ARTIFACT_TYPE, undefined).map((r) => r.digest),
      [SIG],
    );
    assert.equal(filterByArtifactType(all, COSIGN_SIGNATURE_ARTIFACT_TYPE, 'artifactType').length, 2);
    assert.equal(filterByArtifactType(all, COSIGN_SIGNATURE_ARTIFACT_TYPE, ['x', ' artifactType']).length, 2);
    assert.equal(filterByArtifactType(all, COSIGN_SIGNATURE_ARTIFACT_TYPE, 'annotation').length, 1);
    assert.equal(filterByArtifactType(all, undefined, undefined).length, 2);
  });

  it('copies by digest the referrers the API or the tag schema index listed, once each', () => {
    const referrers = [{ digest: SIG }, { digest: SBOM }, { digest: SIG }];
    assert.deepEqual(referrersToCopy({ via: 'api', referrers }), [SIG, SBOM]);
    assert.deepEqual(referrersToCopy({ via: 'tagSchema', referrers }), [SIG, SBOM]);
    assert.deepEqual(referrersToCopy({ via: 'none', referrers: [] }), []);
    assert.deepEqual(referrersToCopy(undefined), []);
  });
});

interface FakeRegistry {
  host: string;
  requests: string[];
  close(): Promise<void>;
}

/** A loopback server answering referrers and manifests as `answer` says; every request is recorded. */
async function fakeRegistry(
  answer: (path: string, search: URLSearchParams) => { status: number; headers?: object; body?: unknown },
): Promise<FakeRegistry> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const { status, headers, body } = answer(url.pathname, url.searchParams);
    const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { ...headers }).end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const clientFor = (onAnswer?: (path: string, status: number) => void) =>
  new RegistryClient({
    access: () => ({ tlsVerify: false }),
    ...(onAnswer
      ? { onAnswer: (_r: string, a: { path: string; status: number }) => onAnswer(a.path, a.status) }
      : {}),
  });

describe('RegistryClient.listReferrers', () => {
  let fake: FakeRegistry | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  it('follows Link pages of the API and filters itself when the registry did not', async () => {
    const base = `/v2/team/app/referrers/${SUBJECT}`;
    fake = await fakeRegistry((path, search) => {
      if (path !== base) return { status: 404 };
      const headers = { 'Content-Type': OCI_INDEX_MEDIA_TYPE };
      if (search.get('page') === '2')
        return { status: 200, headers, body: index(descriptor(ATT, 'in-toto')) };
      return {
        status: 200,
        headers: { ...headers, Link: `<${base}?page=2>; rel="next"` },
        body: index(descriptor(SIG, COSIGN_SIGNATURE_ARTIFACT_TYPE), descriptor(SBOM, SBOM_TYPE)),
      };
    });
    const image = { registry: fake.host, repository: 'team/app' };
    const all = await clientFor().listReferrers(image, SUBJECT);
    assert.equal(all.via, 'api');
    assert.deepEqual(
      all.referrers.map((r) => r.digest),
      [SIG, SBOM, ATT],
    );
    const signatures = await clientFor().listReferrers(image, SUBJECT, {
      artifactType: COSIGN_SIGNATURE_ARTIFACT_TYPE,
    });
    assert.deepEqual(
      signatures.referrers.map((r) => r.digest),
      [SIG],
    );
    assert.ok(
      fake.requests.includes(
        `GET ${base}?artifactType=${encodeURIComponent(COSIGN_SIGNATURE_ARTIFACT_TYPE)}`,
      ),
    );
  });

  it('trusts the filter a registry says it applied', async () => {
    fake = await fakeRegistry(() => ({
      status: 200,
      headers: { 'Content-Type': OCI_INDEX_MEDIA_TYPE, 'OCI-Filters-Applied': 'artifactType' },
      // A registry that says it filtered is taken at its word, whatever the descriptors say.
      body: index(descriptor(SIG, COSIGN_SIGNATURE_ARTIFACT_TYPE), descriptor(SBOM)),
    }));
    const list = await clientFor().listReferrers({ registry: fake.host, repository: 'team/app' }, SUBJECT, {
      artifactType: COSIGN_SIGNATURE_ARTIFACT_TYPE,
    });
    assert.deepEqual(
      list.referrers.map((r) => r.digest),
      [SIG, SBOM],
    );
  });

  it('stops at MAX_REFERRER_PAGES pages and refuses endless pagination', async () => {
    const base = `/v2/team/app/referrers/${SUBJECT}`;
    fake = await fakeRegistry((_path, search) => {
      const page = Number(search.get('page') ?? '1');
      return {
        status: 200,
        headers: { 'Content-Type': OCI_INDEX_MEDIA_TYPE, Link: `<${base}?page=${page + 1}>; rel="next"` },
        body: index(descriptor(`sha256:${page.toString(16).padStart(64, '0')}`)),
      };
    });
    const list = await clientFor().listReferrers({ registry: fake.host, repository: 'team/app' }, SUBJECT);
    assert.equal(list.truncated, true);
    assert.equal(list.referrers.length, MAX_REFERRER_PAGES);
    assert.equal(fake.requests.length, MAX_REFERRER_PAGES);
    await fake.close();
    fake = await fakeRegistry(() => ({
      status: 200,
      headers: { 'Content-Type': OCI_INDEX_MEDIA_TYPE, Link: `<${base}>; rel="next"` },
      body: index(),
    }));
    await assert.rejects(
      clientFor().listReferrers({ registry: fake.host, repository: 'team/app' }, SUBJECT),
      (error: unknown) =>
        error instanceof RegistryError && /endless referrers pagination/.test(error.message),
    );
  });

  it('falls back to the tag schema index on a 404, and asks the API of that repository once', async () => {
    const fallback = index(descriptor(SIG, COSIGN_SIGNATURE_ARTIFACT_TYPE), descriptor(SBOM, SBOM_TYPE));
    const text = JSON.stringify(fallback);
    const digest = `sha256:${createHash('sha256').update(text).digest('hex')}`;
    const other = `sha256:${'cd'.repeat(32)}`;
    fake = await fakeRegistry((path) => {
      if (path === `/v2/team/app/manifests/${SUBJECT.replace(':', '-')}`)
        return {
          status: 200,
          headers: { 'Content-Type': OCI_INDEX_MEDIA_TYPE, 'Docker-Content-Digest': digest },
          body: text,
        };
      return { status: 404, headers: { 'Content-Type': 'text/plain' }, body: '404 page not found' };
    });
    const charged: string[] = [];
    const client = clientFor((path, status) => charged.push(`${status} ${path.split('/')[4]}`));
    const image = { registry: fake.host, repository: 'team/app' };
    const first = await client.listReferrers(image, SUBJECT, {
      artifactType: COSIGN_SIGNATURE_ARTIFACT_TYPE,
    });
    assert.deepEqual(first, {
      via: 'tagSchema',
      referrers: [
        { digest: SIG, mediaType: MANIFEST, artifactType: COSIGN_SIGNATURE_ARTIFACT_TYPE, size: 700 },
      ],
    });
    assert.equal(client.referrersApiUnsupported(image), true);
    // Another digest of the same repository: the API is not asked again; no tag schema tag, nothing read.
    assert.deepEqual(await client.listReferrers(image, other, { tagSchema: false }), {
      via: 'none',
      referrers: [],
    });
    assert.deepEqual(fake.requests, [
      `GET /v2/team/app/referrers/${SUBJECT}?artifactType=${encodeURIComponent(COSIGN_SIGNATURE_ARTIFACT_TYPE)}`,
      `GET /v2/team/app/manifests/${SUBJECT.replace(':', '-')}`,
    ]);
    assert.deepEqual(charged, ['404 referrers', '200 manifests']);
    // A tag schema tag that is not an index (an image pushed under that name) lists nothing.
    assert.deepEqual(await clientFor().listReferrers(image, other), { via: 'none', referrers: [] });
  });

  it('fails on an error answer of the API (not a "not supported")', async () => {
    fake = await fakeRegistry(() => ({ status: 500, body: 'boom' }));
    await assert.rejects(
      new RegistryClient({ access: () => ({ tlsVerify: false }), maxRetries: 0 }).listReferrers(
        { registry: fake.host, repository: 'team/app' },
        SUBJECT,
      ),
      (error: unknown) => error instanceof RegistryError && /HTTP 500/.test(error.message),
    );
  });
});
