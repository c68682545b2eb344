import { contentHash } from '../core/hash.js';
import type { Manifest } from './types.js';

/**
 * Fingerprints by manifest: a loaded manifest is not changed after loading, and one from a file whose content
 * did not change is the same object from one sync to the next (load.ts FileReadings), so its fingerprint is
 * made once, not at every sync.
 */
const fingerprints = new WeakMap<Manifest, string>();

/** What a manifest is, for telling whether a commit changed it: its identity, spec and file. */
export function manifestFingerprint(manifest: Manifest): string {
  let fingerprint = fingerprints.get(manifest);
  if (fingerprint === undefined) {
    const { apiVersion, kind } = manifest.origin;
    fingerprint = contentHash(
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
    fingerprints.set(manifest, fingerprint);
  }
  return fingerprint;
}
