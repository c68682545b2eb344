/** Checks of an ImageBackup spec that its schema cannot express. Pure. */
import { ImageGitopsError } from '../../core/errors.js';
import { budgetProblems } from '../../jobs/copy-budget.js';
import { normaliseRegistryHost } from '../../registry/references.js';
import { parseBackupRegistry } from './naming.js';
import type { ImageBackupSpec } from './types.js';

export function checkImageBackup(spec: ImageBackupSpec): Array<{ field: string; message: string }> {
  const problems: Array<{ field: string; message: string }> = [];
  let backupHost: string | undefined;
  try {
    backupHost = normaliseRegistryHost(parseBackupRegistry(spec.backupRegistry).registry);
  } catch (error) {
    if (!(error instanceof ImageGitopsError)) throw error;
    problems.push({ field: '/spec/backupRegistry', message: error.message });
  }
  const both = (spec.namespaces ?? []).filter((ns) => (spec.ignoreNamespaces ?? []).includes(ns));
  if (both.length > 0) {
    problems.push({
      field: '/spec/ignoreNamespaces',
      message: `${both.join(', ')} both selected and ignored: remove it from one of the lists`,
    });
  }
  // The pull Secret is copied into every namespace of rewritten workloads: it must not be the push one.
  const push = (spec.registries ?? []).find(
    (r) => backupHost && normaliseRegistryHost(r.host) === backupHost,
  );
  if (spec.pullSecret && push?.credentialsSecret === spec.pullSecret) {
    problems.push({
      field: '/spec/pullSecret',
      message: `${spec.pullSecret} is also the push credentialsSecret of ${push.host}: pullSecret is copied into every namespace with rewritten workloads, so give it a read-only account in a Secret of its own`,
    });
  }
  problems.push(...budgetProblems(spec));
  return problems;
}
