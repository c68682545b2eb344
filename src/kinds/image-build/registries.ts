/**
 * Registry access of a build: the shared resolution (the manifest's `registries` over the reconciler-wide
 * ones), and the registries.conf that lets buildah pull base images from registries without TLS verification.
 */
import type { Settings } from '../../config/settings.js';
import { parseImageReference } from '../../registry/references.js';
import { type ResolvedRegistry, resolveRegistry } from '../../registry/registry-access.js';
import type { ImageBuildSpec } from './types.js';

export function resolveBuildRegistry(
  host: string,
  spec: ImageBuildSpec,
  settings: Settings,
  namespace: string,
): ResolvedRegistry {
  return resolveRegistry(host, spec, settings, namespace);
}

/** Hosts reached without TLS verification: listed in the spec or in the settings with `tlsVerify: false`. */
export function insecureHosts(spec: ImageBuildSpec, settings: Settings, namespace: string): string[] {
  const push = parseImageReference(spec.image).registry;
  const hosts = [
    push,
    ...(spec.registries ?? []).map((r) => r.host),
    ...settings.registries.map((r) => r.host),
  ];
  const insecure = hosts
    .map((host) => resolveBuildRegistry(host, spec, settings, namespace))
    .filter((registry) => !registry.tlsVerify)
    .map((registry) => registry.host);
  return [...new Set(insecure)].sort();
}

/**
 * registries.conf for `buildah bud` (pulls honour `insecure`; buildah 1.28's `manifest push` does not and
 * exits 0 without pushing, so pushes also get `--tls-verify=false`). Short names resolve on Docker Hub.
 */
export function registriesConf(insecure: readonly string[]): string {
  const lines = ['unqualified-search-registries = ["docker.io"]', 'short-name-mode = "permissive"'];
  for (const host of insecure)
    lines.push('', '[[registry]]', `location = ${JSON.stringify(host)}`, 'insecure = true');
  return `${lines.join('\n')}\n`;
}
