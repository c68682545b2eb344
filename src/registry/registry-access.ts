/**
 * Per-registry access of one ImageSync: the manifest's `registries` entries over the reconciler-wide
 * `Settings.imageSync.registries`, matched by normalised host (`index.docker.io` is `docker.io`).
 */
import type { ImageOperatorSide, RegistryDefaults, Settings } from '../../config/settings.js';
import { normaliseRegistryHost } from '../../registry/references.js';
import type { CaSource, ImageSyncSpec } from './spec.js';

export interface ResolvedRegistry {
  host: string;
  tlsVerify: boolean;
  credentialsSecret?: { namespace: string; name: string };
  /** image-operator's CREDS_* for this side, when nothing else gives the host credentials. */
  inlineCredential?: { username: string; password: string };
  /** The credential is an ECR authorization token (registry/ecr.ts), not a Secret. */
  awsEcr?: boolean;
  ca?: { namespace: string; name: string; key: string; kind: 'Secret' | 'ConfigMap' };
}

function caOf(
  source: CaSource | undefined,
  namespace: string,
  kind: 'Secret' | 'ConfigMap',
): ResolvedRegistry['ca'] {
  return source ? { namespace, name: source.name, key: source.key ?? 'ca.crt', kind } : undefined;
}

/** The `registries` field of a spec: ImageSync's, ImageBackup's, ImageBuild's (same shape). */
export type RegistriesField = Pick<ImageSyncSpec, 'registries'>;

/**
 * One registry's access: the manifest's own entry, then SYNC_REGISTRIES, then (an image-operator `Image`
 * only) that side's CREDS_* and DISABLE_*_TLS_VERIFICATION.
 */
export function resolveRegistry(
  host: string,
  spec: RegistriesField,
  settings: Settings,
  namespace: string,
  side?: ImageOperatorSide,
): ResolvedRegistry {
  const key = normaliseRegistryHost(host);
  const own = (spec.registries ?? []).find((r) => normaliseRegistryHost(r.host) === key);
  // SYNC_REGISTRIES entries may also say `awsEcr: true` (read as they are, see registry/ecr.ts).
  const shared: (RegistryDefaults & { awsEcr?: boolean }) | undefined = settings.imageSync.registries.find(
    (r) => normaliseRegistryHost(r.host) === key,
  );
  const resolved: ResolvedRegistry = {
    host: key,
    tlsVerify: own?.tlsVerify ?? shared?.tlsVerify ?? side?.tlsVerify ?? true,
  };
  if (own?.credentialsSecret) resolved.credentialsSecret = { namespace, name: own.credentialsSecret };
  else if (own?.awsEcr) resolved.awsEcr = true;
  else if (shared?.awsEcr) resolved.awsEcr = true;
  else if (shared?.credentialsSecret) {
    resolved.credentialsSecret = {
      namespace: shared.secretNamespace ?? namespace,
      name: shared.credentialsSecret,
    };
  } else if (side?.credential && sideAllows(side, key)) resolved.inlineCredential = side.credential;
  const ca =
    caOf(own?.caSecret, namespace, 'Secret') ??
    caOf(own?.caConfigMap, namespace, 'ConfigMap') ??
    caOf(shared?.caSecret, shared?.secretNamespace ?? namespace, 'Secret');
  if (ca) resolved.ca = ca;
  return resolved;
}

/** Secret keys may not hold ':': `127.0.0.1:5000` → `127.0.0.1_5000`. */
export function hostFileName(host: string): string {
  return host.replace(/[^A-Za-z0-9.-]/g, '_');
}

function sideAllows(side: ImageOperatorSide, host: string): boolean {
  return !side.credentialHosts || side.credentialHosts.some((h) => normaliseRegistryHost(h) === host);
}

/** image-operator's global settings for each side: only an `Image` (skopeo.io/v1alpha1) manifest takes them. */
export function imageOperatorSides(
  apiVersion: string,
  settings: Settings,
): { source?: ImageOperatorSide; destination?: ImageOperatorSide } {
  if (apiVersion !== 'skopeo.io/v1alpha1') return {};
  return settings.imageSync.imageOperator ?? {};
}
