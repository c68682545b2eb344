import { scryptSync } from 'node:crypto';
import { canonicalJson } from '../../core/hash.js';
import type { Manifest } from '../../manifests/types.js';
import type { ObserveContext } from '../types.js';
import type { RegistryMirrorSpec } from './types.js';

export interface MirrorObserved {
  /** See CREDENTIALS_HASH_ANNOTATION; absent without credentials, or when the Secret cannot be read. */
  credentialsHash?: string;
}

/**
 * A hash of the values the registry reads from its credentials Secret, for the pod template: scrypt, salted
 * with the Secret's namespace and name, 16 hex characters. Slow on purpose: whoever can read the
 * StatefulSet cannot test guessed passwords against it at speed; and never the values themselves.
 */
export function credentialsHash(namespace: string, name: string, values: Record<string, string>): string {
  return scryptSync(canonicalJson(values), `image-gitops/registry-mirror/${namespace}/${name}`, 8).toString(
    'hex',
  );
}

/** Reads the upstream credentials Secret (through the Secret rule, as every Secret a manifest names). */
export async function observeRegistryMirror(
  manifest: Manifest<RegistryMirrorSpec>,
  context: ObserveContext,
): Promise<MirrorObserved> {
  const ref = manifest.spec.credentialsSecret;
  if (ref === undefined) return {};
  const secret = typeof ref === 'string' ? { name: ref } : ref;
  const keys = [secret.usernameKey ?? 'username', secret.passwordKey ?? 'password'];
  const namespace = manifest.namespace ?? context.namespace;
  const data = await context.readSecret(namespace, secret.name);
  if (!data) return {};
  const values = Object.fromEntries(keys.map((k) => [k, data[k] ?? '']));
  return { credentialsHash: credentialsHash(namespace, secret.name, values) };
}
