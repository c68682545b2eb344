/** Checks of an ImageBackup spec that its schema cannot express. Pure. */
import { ImageGitopsError } from '../../core/errors.js';
import { parseBackupRegistry } from './naming.js';
import type { ImageBackupSpec } from './types.js';

export function checkImageBackup(spec: ImageBackupSpec): Array<{ field: string; message: string }> {
  const problems: Array<{ field: string; message: string }> = [];
  try {
    parseBackupRegistry(spec.backupRegistry);
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
  return problems;
}
