/**
 * Pull credentials for rewritten workloads, pure. A backup registry that needs credentials to pull gets them
 * from `spec.pullSecret`, a dockerconfigjson Secret in the manifest's namespace holding a read-only account:
 * its entry for the backup registry's host, and nothing else, is copied into a Secret of ours in each
 * namespace whose workloads run backup copies (owned, so pruned when no longer needed), and the rewrite adds
 * that Secret to their imagePullSecrets. Which namespaces need it is the rewrite plan's to say (rewrite.ts).
 */
import { ImageGitopsError } from '../../core/errors.js';
import { contentHash } from '../../core/hash.js';
import type { KubeObject } from '../../core/kube-object.js';
import { nameWithHash } from '../../core/labels.js';
import {
  type AuthFile,
  authFileJson,
  buildAuthFile,
  parseDockerConfig,
  type RegistryCredential,
} from '../../registry/credentials.js';
import { normaliseRegistryHost } from '../../registry/references.js';

export const PULL_SECRET_PREFIX = 'image-gitops-backup-pull';
const DOCKER_CONFIG_KEY = '.dockerconfigjson';

/** The pull Secret's name in every namespace, one per manifest: `image-gitops-backup-pull-<hash of key>`. */
export function pullSecretName(manifestKey: string): string {
  return nameWithHash(PULL_SECRET_PREFIX, contentHash(manifestKey, 6));
}

/**
 * The read credentials for the backup registry in a pullSecret's (decoded) data, as an authfile naming that
 * host only. INVALID_SPEC when it is not a docker config, has no entry for the host, or holds the very
 * credentials used to push there. Messages name the Secret and the host, never a value.
 */
export function pullAuthFile(
  data: Record<string, string>,
  backupHost: string,
  where: string,
  pushCredential?: RegistryCredential,
): AuthFile {
  const config = data[DOCKER_CONFIG_KEY];
  if (config === undefined)
    throw new ImageGitopsError(
      'INVALID_SPEC',
      `${where} has no "${DOCKER_CONFIG_KEY}" key: pullSecret must be a kubernetes.io/dockerconfigjson Secret`,
    );
  const credential = parseDockerConfig(config, where).get(normaliseRegistryHost(backupHost));
  if (!credential)
    throw new ImageGitopsError(
      'INVALID_SPEC',
      `${where} has no entry for the backup registry ${backupHost}: add read credentials for it under "auths"`,
    );
  if (
    pushCredential &&
    credential.username === pushCredential.username &&
    credential.password === pushCredential.password
  )
    throw new ImageGitopsError(
      'INVALID_SPEC',
      `${where} holds the push credentials of ${backupHost}: pullSecret is copied into every namespace with rewritten workloads, so give it a read-only account (a robot that can only pull)`,
    );
  return buildAuthFile(new Map([[backupHost, credential]]));
}

/** Our pull Secret in one namespace. */
export function renderPullSecret(name: string, namespace: string, authFile: AuthFile): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    type: 'kubernetes.io/dockerconfigjson',
    data: { [DOCKER_CONFIG_KEY]: Buffer.from(authFileJson(authFile)).toString('base64') },
  };
}
