/** The labels and annotations that mark what image-gitops owns and where each object came from. */
export const DOMAIN = 'image-gitops.io';

export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  instance: `${DOMAIN}/instance`,
  /** A hash of the manifest key: label values are limited to 63 characters, manifest keys are not. */
  manifestId: `${DOMAIN}/manifest-id`,
  manifestKind: `${DOMAIN}/manifest-kind`,
} as const;

export const ANNOTATIONS = {
  manifest: `${DOMAIN}/manifest`,
  sourceFile: `${DOMAIN}/source-file`,
  commit: `${DOMAIN}/commit`,
  /** Hash of the desired object as rendered, without the commit: equal hash means nothing to apply. */
  appliedHash: `${DOMAIN}/applied-hash`,
} as const;

export const MANAGER_NAME = 'image-gitops';

/** Kubernetes names: lower case alphanumerics and '-', at most `max` characters, ending alphanumeric. */
export function toDnsName(text: string, max = 63): string {
  const cleaned = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+/, '');
  return cleaned.slice(0, max).replace(/-+$/, '') || 'x';
}

/** A name made of a readable prefix and a hash suffix, within the length limit. */
export function nameWithHash(prefix: string, hash: string, max = 63): string {
  const room = max - hash.length - 1;
  return `${toDnsName(prefix, room)}-${hash}`;
}

/** The label that makes a Secret usable by manifests (engine/secret-access.ts checks it). */
export const USABLE_BY_MANIFESTS_LABEL = `${DOMAIN}/usable-by-manifests`;
