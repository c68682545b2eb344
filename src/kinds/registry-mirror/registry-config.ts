import { stringify } from 'yaml';
import type { Upstream } from './upstream.js';

export const REGISTRY_PORT = 5000;
export const STORAGE_PATH = '/var/lib/registry';
export const CONFIG_DIR = '/etc/docker/registry';
export const TLS_DIR = '/etc/registry/tls';

export interface RegistryConfigOptions {
  upstream: Upstream;
  tls: boolean;
}

/**
 * The distribution registry's config.yml for a pull-through cache of one upstream. Credentials are not
 * here: the pod sets REGISTRY_PROXY_USERNAME / REGISTRY_PROXY_PASSWORD from the Secret, which the
 * registry reads as overrides of `proxy.username` / `proxy.password`.
 */
export function registryConfig(options: RegistryConfigOptions): Record<string, unknown> {
  const http: Record<string, unknown> = {
    addr: `:${REGISTRY_PORT}`,
    headers: { 'X-Content-Type-Options': ['nosniff'] },
  };
  if (options.tls) http.tls = { certificate: `${TLS_DIR}/tls.crt`, key: `${TLS_DIR}/tls.key` };
  return {
    version: 0.1,
    log: { level: 'info', fields: { service: 'registry' } },
    storage: {
      filesystem: { rootdirectory: STORAGE_PATH },
      cache: { blobdescriptor: 'inmemory' },
    },
    http,
    // A failing storage driver turns `/` into 503, which the probes on `/` then see.
    health: { storagedriver: { enabled: true, interval: '10s', threshold: 3 } },
    proxy: { remoteurl: options.upstream.serverUrl },
  };
}

export function registryConfigYaml(options: RegistryConfigOptions): string {
  return stringify(registryConfig(options));
}
