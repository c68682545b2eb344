/**
 * ImageBackup's pure render: the files Secret (merged authfile and CAs) and the bounded copy Jobs of the
 * images not yet backed up, made by ImageSync's copy-Job machinery. The bounds (Settings.imageSync
 * `maxJobsPerManifest` Jobs of `tagsPerJob` images) are image-cloner-controller's MAX_CONCURRENT_RECONCILES.
 * With `pullSecret`, also our pull Secret in each namespace whose rewritten workloads need it (owned, so the
 * engine prunes it with the last of them). Workload rewrites are not rendered: workloads are not ours to own
 * or prune (see rewrite.ts).
 */
import { contentHash } from '../../core/hash.js';
import type { KubeObject } from '../../core/kube-object.js';
import { nameWithHash } from '../../core/labels.js';
import {
  type CopyJobSetup,
  hasCopyFiles,
  renderCopyFilesSecret,
  renderCopyJobsFor,
} from '../../jobs/copy-jobs.js';
import type { Manifest } from '../../manifests/types.js';
import type { RenderContext } from '../types.js';
import { backupCopyPair } from './naming.js';
import type { ImageBackupObserved } from './observe.js';
import { pullSecretName, renderPullSecret } from './pull-secret.js';
import { pullSecretNamespaces } from './rewrite.js';
import type { ImageBackupSpec } from './types.js';

export function backupCopySetup(
  manifest: Manifest<ImageBackupSpec>,
  observed: ImageBackupObserved,
  namespace: string,
): CopyJobSetup {
  const spec = manifest.spec;
  return {
    namespace,
    jobPrefix: `${manifest.name}-backup`,
    filesSecretName: nameWithHash(`${manifest.name}-backup-files`, contentHash(manifest.key, 6)),
    files: observed.files,
    registries: spec,
    pairFor: (ref) => backupCopyPair(spec, ref),
  };
}

export function renderImageBackup(
  manifest: Manifest<ImageBackupSpec>,
  context: RenderContext<ImageBackupObserved>,
): KubeObject[] {
  const namespace = manifest.namespace ?? context.namespace;
  const setup = backupCopySetup(manifest, context.observed, namespace);
  const objects: KubeObject[] = [];
  if (hasCopyFiles(setup.files)) objects.push(renderCopyFilesSecret(setup));
  objects.push(...renderCopyJobsFor(setup, context.settings, context.live, context.observed.pending));
  objects.push(...renderPullSecrets(manifest, context.observed));
  return objects;
}

/** Our pull Secret in every namespace that needs it (none without a usable pullSecret). */
export function renderPullSecrets(
  manifest: Manifest<ImageBackupSpec>,
  observed: ImageBackupObserved,
): KubeObject[] {
  const { pullAuth } = observed;
  if (!pullAuth) return [];
  const name = pullSecretName(manifest.key);
  return pullSecretNamespaces(observed, manifest.spec).map((ns) => renderPullSecret(name, ns, pullAuth));
}
