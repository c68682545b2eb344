/**
 * The skopeo command lines of a sync, as plain argv lists: the Job runs them as a `/bin/sh -ec` script of
 * shell-quoted lines, and tests run the very same lines locally. Pure.
 */

import type { CopyPair } from '../registry/copy-pair.js';
import { formatImageReference } from '../registry/references.js';
import { hostFileName } from '../registry/registry-access.js';
import { JOB_PATHS } from './job-template.js';

export interface SkopeoSideOptions {
  tlsVerify: boolean;
  /** Folder holding `ca.crt` for this registry. */
  certDir?: string;
}

export interface SkopeoCopyOptions {
  source: SkopeoSideOptions;
  destination: SkopeoSideOptions;
  /** Path of the merged authfile, when any registry has credentials. */
  authFile?: string;
  /** One platform (`linux/arm64[/v8]`); absent copies every platform of an index (`--all`). */
  platform?: string;
  retryTimes?: number;
  /** `--preserve-digests`: fail rather than write other bytes than the source's (a verified digest, a signature). */
  preserveDigests?: boolean;
}

/** Folder of a registry's CA inside the mounted files Secret. */
export function certDirFor(host: string, root: string = JOB_PATHS.authDir): string {
  return `${root}/certs/${hostFileName(host)}`;
}

function sideFlags(side: 'src' | 'dest', options: SkopeoSideOptions): string[] {
  const flags: string[] = [];
  if (!options.tlsVerify) flags.push(`--${side}-tls-verify=false`);
  if (options.certDir) flags.push(`--${side}-cert-dir`, options.certDir);
  return flags;
}

/** `skopeo [--override-os o --override-arch a] copy ... docker://src docker://dest` */
export function skopeoCopyArgs(pair: CopyPair, options: SkopeoCopyOptions): string[] {
  const global: string[] = [];
  const copy: string[] = [];
  if (options.platform) {
    const [os, arch, variant] = options.platform.split('/');
    global.push('--override-os', os ?? 'linux', '--override-arch', arch ?? 'amd64');
    if (variant) global.push('--override-variant', variant);
  } else {
    copy.push('--all');
  }
  copy.push('--retry-times', String(options.retryTimes ?? 3));
  if (options.preserveDigests) copy.push('--preserve-digests');
  if (options.authFile) copy.push('--authfile', options.authFile);
  copy.push(...sideFlags('src', options.source), ...sideFlags('dest', options.destination));
  return [
    'skopeo',
    ...global,
    'copy',
    ...copy,
    `docker://${formatImageReference(pair.source)}`,
    `docker://${formatImageReference(pair.destination)}`,
  ];
}

/**
 * The lines of one copy with the tags beside its image (cosign's `.sig`, `.att`, `.sbom`;
 * registry/cosign-signatures.ts): each of them first, to the same tag name in the destination repository,
 * bytes unchanged; then its OCI 1.1 referrers (registry/referrers.ts), each by digest to the same digest
 * (`--preserve-digests`: its bytes, so its `subject`, unchanged; a registry with the referrers API lists it
 * from that subject); the image last, so that its tag is written only once all of them are there. With
 * `digest`, the image is read by that digest (the one checked), not by its tag, and written unchanged.
 */
export function skopeoCopyLines(
  pair: CopyPair,
  options: SkopeoCopyOptions,
  beside: { artifactTags?: readonly string[]; referrers?: readonly string[]; digest?: string } = {},
): string[][] {
  const { platform: _platform, ...artifactOptions } = options;
  const artifacts = (beside.artifactTags ?? []).map((tag) =>
    skopeoCopyArgs(
      {
        sourceRef: tag,
        source: { registry: pair.source.registry, repository: pair.source.repository, tag },
        destination: { registry: pair.destination.registry, repository: pair.destination.repository, tag },
      },
      { ...artifactOptions, preserveDigests: true },
    ),
  );
  const byDigest = (digest: string): CopyPair => ({
    sourceRef: digest,
    source: { registry: pair.source.registry, repository: pair.source.repository, digest },
    destination: { registry: pair.destination.registry, repository: pair.destination.repository, digest },
  });
  const referrers = (beside.referrers ?? []).map((digest) =>
    skopeoCopyArgs(byDigest(digest), { ...artifactOptions, preserveDigests: true }),
  );
  const image = beside.digest
    ? skopeoCopyArgs(
        {
          ...pair,
          source: {
            registry: pair.source.registry,
            repository: pair.source.repository,
            digest: beside.digest,
          },
        },
        { ...options, preserveDigests: true },
      )
    : skopeoCopyArgs(pair, options);
  return [...artifacts, ...referrers, image];
}
