/**
 * The Job that deletes images from a destination registry (ImageSync's `prune`), pure. Built like the copy
 * Jobs (copy-jobs.ts): the same hardened template, skopeo image, mounted authfile and CA Secret, TLS flags per
 * registry; its name hashes its content, so the same deletions give the same Job, and a sync while it runs
 * neither starts a second one nor deletes it. One `skopeo delete` per digest (a registry deletes a manifest by
 * digest: the caller made sure no tag that stays holds it), by digest rather than by tag, so that a tag pushed
 * again meanwhile is not deleted. A line whose digest is already gone succeeds (a retried pod, a second Job).
 */
import type { Settings } from '../config/settings.js';
import { contentHash } from '../core/hash.js';
import type { KubeObject } from '../core/kube-object.js';
import { DOMAIN, nameWithHash } from '../core/labels.js';
import { formatImageReference, type ImageReference } from '../registry/references.js';
import { resolveRegistry } from '../registry/registry-access.js';
import { type CopyJobSetup, copyJobInput } from './copy-jobs.js';
import { JOB_PATHS, renderSecureJob, shellQuote } from './job-template.js';
import { certDirFor } from './skopeo.js';

/** On each delete Job: what it deletes, as JSON `[{tag, digest}]`. */
export const SYNC_DELETES_ANNOTATION = `${DOMAIN}/sync-deletes`;

export interface ImageDeletion {
  /** The destination tag that goes (for people and status; the digest is what is deleted). */
  tag: string;
  digest: string;
}

export interface SkopeoDeleteOptions {
  tlsVerify: boolean;
  certDir?: string;
  authFile?: string;
  retryTimes?: number;
}

/** The flags `skopeo delete` and `skopeo inspect` share here. */
function accessFlags(options: SkopeoDeleteOptions): string[] {
  const flags = ['--retry-times', String(options.retryTimes ?? 3)];
  if (options.authFile) flags.push('--authfile', options.authFile);
  if (!options.tlsVerify) flags.push('--tls-verify=false');
  if (options.certDir) flags.push('--cert-dir', options.certDir);
  return flags;
}

/** `skopeo delete ... docker://<repo>@<digest> || ! skopeo inspect --raw ... >/dev/null 2>&1`: one line. */
export function skopeoDeleteLine(
  image: ImageReference,
  digest: string,
  options: SkopeoDeleteOptions,
): string {
  const reference = `docker://${formatImageReference({ registry: image.registry, repository: image.repository, digest })}`;
  const flags = accessFlags(options);
  const line = (argv: string[]) => argv.map(shellQuote).join(' ');
  return `${line(['skopeo', 'delete', ...flags, reference])} || ! ${line(['skopeo', 'inspect', '--raw', ...flags, reference])} >/dev/null 2>&1`;
}

/** The Job deleting these digests from `destination`, with the access (authfile, CA, TLS) of `setup`. */
export function renderDeleteJob(
  setup: CopyJobSetup,
  settings: Settings,
  jobPrefix: string,
  destination: ImageReference,
  deletions: readonly ImageDeletion[],
): KubeObject {
  const registry = resolveRegistry(
    destination.registry,
    setup.registries,
    settings,
    setup.namespace,
    setup.sides?.destination,
  );
  const options: SkopeoDeleteOptions = {
    tlsVerify: registry.tlsVerify,
    ...(setup.files.cas[registry.host] !== undefined ? { certDir: certDirFor(registry.host) } : {}),
    ...(setup.files.authFile ? { authFile: JOB_PATHS.authFile } : {}),
  };
  const digests = [...new Set(deletions.map((d) => d.digest))];
  const script = `${digests.map((digest) => skopeoDeleteLine(destination, digest, options)).join('\n')}\n`;
  const input = {
    ...copyJobInput(setup, settings, []),
    command: ['/bin/sh', '-ec', script],
    annotations: {
      [SYNC_DELETES_ANNOTATION]: JSON.stringify(deletions.map(({ tag, digest }) => ({ tag, digest }))),
    },
  };
  const name = nameWithHash(jobPrefix, contentHash(renderSecureJob({ ...input, name: '' })));
  return renderSecureJob({ ...input, name });
}
