import { contentHash } from '../core/hash.js';
import type { Manifest } from './types.js';

/** What a manifest is, for telling whether a commit changed it: its identity, spec and file. */
export function manifestFingerprint(manifest: Manifest): string {
  const { apiVersion, kind } = manifest.origin;
  return contentHash(
    {
      apiVersion,
      kind,
      name: manifest.name,
      namespace: manifest.namespace ?? '',
      spec: manifest.spec,
      file: manifest.origin.file,
    },
    16,
  );
}
