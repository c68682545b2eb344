/**
 * Per-registry access of one ImageSync: the manifest's `registries` entries over the reconciler-wide
 * `Settings.imageSync.registries`, matched by normalised host (`index.docker.io` is `docker.io`).
 */
import type { RegistryDefaults, Settings } from '../../config/settings.js';
import { normaliseRegistryHost } from '../../registry/references.js';
import type { CaSource, ImageSyncSpec } from './spec.js';

export interface ResolvedRegistry {
  host: string;
  tlsVerify: boolean;
  credentialsSecret?: { namespace: string; name: string };
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

export function resolveRegistry(
  host: string,
  spec: RegistriesField,
  settings: Settings,
  namespace: string,
): ResolvedRegistry {
  const key = normaliseRegistryHost(host);
  const own = (spec.registries ?? []).find((r) => normaliseRegistryHost(r.host) === key);
  const shared: RegistryDefaults | undefined = settings.imageSync.registries.find(
    (r) => normaliseRegistryHost(r.host) === key,
  );
  const resolved: ResolvedRegistry = { host: key, tlsVerify: own?.tlsVerify ?? shared?.tlsVerify ?? true };
  if (own?.credentialsSecret) resolved.credentialsSecret = { namespace, name: own.credentialsSecret };
  else if (shared?.credentialsSecret) {
    resolved.credentialsSecret = {
      namespace: shared.secretNamespace ?? namespace,
      name: shared.credentialsSecret,
    };
  }
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
