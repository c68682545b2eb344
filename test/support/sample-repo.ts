import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { packageRoot } from '../../src/core/paths.js';
import type { KubeApi } from '../../src/kube/types.js';
import { selfSignedCa } from './certs.js';
import { makeTempDir } from './tmp.js';

/** Every file under a folder, by relative path, as text. */
export function readFolder(root: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else files[relative(root, full)] = readFileSync(full, 'utf8');
    }
  };
  walk(root);
  return files;
}

export function sampleRepoFiles(): Record<string, string> {
  return readFolder(join(packageRoot(), 'sample-repo'));
}

/** The registry credentials the samples name. */
export const SAMPLE_CREDENTIAL_SECRETS = [
  'quay-robot',
  'registry-example-push',
  'registry-prod-push',
  'backup-registry-push',
  'quay-docker-config',
  'docker-hub-pull',
  // RegistryMirror upstream credentials and ImagePrepull pull Secrets: a pod may refer only to labelled ones.
  'docker-hub-credentials',
  'internal-mirror',
  'quay-pull',
  'docker-pull',
  'quay-mirror-tls',
];

/** The Secret holding the cosign public key the samples' `verify` names (image-sync/signed.yaml). */
export const SAMPLE_COSIGN_PUBLIC_KEY_SECRET = 'cosign-public-key';

/**
 * Creates (server-side applies) the Secrets sample-repo/ refers to, in its target namespace; the public key
 * image-sync/signed.yaml verifies with is the caller's (a key pair made at test time, never committed).
 */
export async function applySampleSecrets(
  kube: KubeApi,
  namespace: string,
  keys: { cosignPublicKey: string },
): Promise<void> {
  for (const name of SAMPLE_CREDENTIAL_SECRETS) {
    await kube.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      // Manifests may use only Secrets labelled for them (README: What a config repo can and cannot do).
      metadata: { name, namespace, labels: { 'image-gitops.io/usable-by-manifests': 'true' } },
      stringData: { username: 'demo', password: 'demo-password' },
    });
  }
  await kube.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'registry-example-ca',
      namespace,
      labels: { 'image-gitops.io/usable-by-manifests': 'true' },
    },
    stringData: { 'ca.crt': selfSignedCa(makeTempDir('registry-ca'), 'registry.example.com CA', 1) },
  });
  await kube.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: SAMPLE_COSIGN_PUBLIC_KEY_SECRET,
      namespace,
      labels: { 'image-gitops.io/usable-by-manifests': 'true' },
    },
    stringData: { 'cosign.pub': keys.cosignPublicKey },
  });
}
