/**
 * ImageBuild's observe step (I/O): read the credentials Secrets of the push registry and of the registries
 * listed in the spec (base images), merged into one authfile that render ships as a Secret.
 */
import type { Manifest } from '../../manifests/types.js';
import {
  type AuthFile,
  buildAuthFile,
  type CredentialsByHost,
  readCredentialSecret,
} from '../../registry/credentials.js';
import { parseImageReference } from '../../registry/references.js';
import type { ObserveContext } from '../types.js';
import { resolveBuildRegistry } from './registries.js';
import type { ImageBuildSpec } from './types.js';

export interface ImageBuildObserved {
  /** Absent when no registry has credentials. */
  authFile?: AuthFile;
}

/** The push host first, then the listed registries, each once. */
export function registryHosts(spec: ImageBuildSpec): string[] {
  const push = parseImageReference(spec.image).registry;
  return [...new Set([push, ...(spec.registries ?? []).map((r) => r.host)])];
}

export async function observeImageBuild(
  manifest: Manifest<ImageBuildSpec>,
  context: ObserveContext,
): Promise<ImageBuildObserved> {
  const namespace = manifest.namespace ?? context.namespace;
  const credentials: CredentialsByHost = new Map();
  for (const host of registryHosts(manifest.spec)) {
    const registry = resolveBuildRegistry(host, manifest.spec, context.settings, namespace);
    if (!registry.credentialsSecret) continue;
    credentials.set(
      registry.host,
      await readCredentialSecret(registry.credentialsSecret, registry.host, context.readSecret),
    );
  }
  return credentials.size > 0 ? { authFile: buildAuthFile(credentials) } : {};
}
