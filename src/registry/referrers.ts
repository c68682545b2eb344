/**
 * OCI 1.1 referrers (distribution-spec 1.1), pure: the manifests whose `subject` is an image digest (cosign's
 * signatures with `--registry-referrers-mode=oci-1-1`, attestations, SBOMs), as a registry lists them at
 * `GET /v2/<name>/referrers/<digest>`: an OCI image index of descriptors with `artifactType`. A 404, or an
 * answer that is not such an index, means the registry does not serve the API: clients then keep the list as
 * an index under the tag `sha256-<hex>` (the spec's "Referrers Tag Schema"), which is read instead.
 * The client (client.ts) does the I/O.
 */
import { isDigest } from './answers.js';

export const OCI_INDEX_MEDIA_TYPE = 'application/vnd.oci.image.index.v1+json';
/** cosign's signature artifact, as a referrer (its config media type and `artifactType`). */
export const COSIGN_SIGNATURE_ARTIFACT_TYPE = 'application/vnd.dev.cosign.artifact.sig.v1+json';
/** Referrers read per image at most, and pages of the API followed at most. */
export const MAX_REFERRERS = 64;
export const MAX_REFERRER_PAGES = 8;

/** One referrer: a manifest that names the image as its `subject`. */
export interface Referrer {
  digest: string;
  mediaType?: string;
  artifactType?: string;
  size?: number;
}

/** Where the referrers were found: the API, the tag schema's index, or nowhere. */
export type ReferrersSource = 'api' | 'tagSchema' | 'none';

export interface ReferrersList {
  via: ReferrersSource;
  referrers: Referrer[];
  /** More referrers than MAX_REFERRERS (or pages than MAX_REFERRER_PAGES): the rest were not read. */
  truncated?: boolean;
}

/** `/v2/<name>/referrers/<digest>[?artifactType=<type>]` */
export function referrersPath(repository: string, digest: string, artifactType?: string): string {
  if (!isDigest(digest)) throw new Error(`"${digest.slice(0, 80)}" is not a digest`);
  const query = artifactType ? `?artifactType=${encodeURIComponent(artifactType)}` : '';
  return `/v2/${repository}/referrers/${digest}${query}`;
}

/**
 * The descriptors of an image index (the API's answer, or the tag schema's index), each with a valid digest;
 * undefined when the body is not an image index (no `manifests` list, or another media type).
 */
export function referrersOfIndex(body: unknown, contentType?: string): Referrer[] | undefined {
  const index = body as { mediaType?: unknown; manifests?: unknown } | null;
  if (typeof index !== 'object' || index === null || !Array.isArray(index.manifests)) return undefined;
  // distribution-spec: the answer is an OCI image index (by its Content-Type or its own mediaType).
  const type = contentType?.split(';')[0]?.trim();
  if (type !== OCI_INDEX_MEDIA_TYPE && index.mediaType !== OCI_INDEX_MEDIA_TYPE) return undefined;
  const referrers: Referrer[] = [];
  for (const entry of index.manifests) {
    const d = entry as { digest?: unknown; mediaType?: unknown; artifactType?: unknown; size?: unknown };
    if (typeof d?.digest !== 'string' || !isDigest(d.digest)) continue;
    referrers.push({
      digest: d.digest,
      ...(typeof d.mediaType === 'string' ? { mediaType: d.mediaType } : {}),
      ...(typeof d.artifactType === 'string' ? { artifactType: d.artifactType } : {}),
      ...(typeof d.size === 'number' && Number.isInteger(d.size) && d.size >= 0 ? { size: d.size } : {}),
    });
  }
  return referrers;
}

/**
 * What a referrers API answer means: the referrers of one page when it is an image index, not supported on a
 * 404 (405, 501) or a body that is no index (the tag schema is read then); undefined for other statuses (the
 * caller's errors: 401, 429, 5xx).
 */
export function readReferrersAnswer(
  status: number,
  contentType: string | undefined,
  body: Buffer,
): { supported: true; referrers: Referrer[] } | { supported: false; why: string } | undefined {
  // 404 is the spec's word; 405 and 501 say as plainly that the endpoint is not there.
  if (status === 404 || status === 405 || status === 501)
    return { supported: false, why: `the registry answered ${status}` };
  if (status < 200 || status >= 300) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return { supported: false, why: 'the answer is not JSON' };
  }
  const referrers = referrersOfIndex(parsed, contentType);
  return referrers
    ? { supported: true, referrers }
    : { supported: false, why: 'the answer is not an OCI image index' };
}

/**
 * The referrers of an artifact type: a registry that filtered says so in `OCI-Filters-Applied: artifactType`;
 * one that did not (the filter is optional) answered all of them, filtered here.
 */
export function filterByArtifactType(
  referrers: readonly Referrer[],
  artifactType: string | undefined,
  filtersApplied: string | string[] | undefined,
): Referrer[] {
  if (!artifactType) return [...referrers];
  const applied = (Array.isArray(filtersApplied) ? filtersApplied.join(',') : (filtersApplied ?? ''))
    .split(',')
    .map((f) => f.trim());
  if (applied.includes('artifactType')) return [...referrers];
  return referrers.filter((r) => r.artifactType === artifactType);
}

/**
 * The referrers to copy by digest: those the API or the tag schema's index listed, once each (the index
 * itself is not copied: cosign-signatures.ts copiedArtifactTags).
 */
export function referrersToCopy(list: ReferrersList | undefined): string[] {
  return [...new Set((list?.referrers ?? []).map((r) => r.digest))];
}
