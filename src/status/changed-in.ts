/**
 * The commit that last changed each manifest, as the reconciler saw it: a fingerprint of the manifest as
 * loaded (its kind, name, namespace, spec and file) is kept with its status; while it stays the same, the
 * commit that first showed it stays too. A shallow clone has no history to ask, so a manifest the reconciler
 * meets for the first time is marked `firstSeen` at that commit rather than dated further back. Pure.
 */
import type { CommitInfo } from '../core/commit.js';
import { manifestFingerprint } from '../manifests/fingerprint.js';
import type { Manifest } from '../manifests/types.js';
import type { ChangedIn, ManifestStatus } from './types.js';

export { manifestFingerprint } from '../manifests/fingerprint.js';

/**
 * Each status with the commit that last changed its manifest: the stored one while the fingerprint holds,
 * else this commit. Manifests that failed to load, or left Git, keep what was stored (nothing new is known).
 */
export function withChangedIn(
  statuses: readonly ManifestStatus[],
  manifests: readonly Manifest[],
  previous: readonly ManifestStatus[],
  commit: CommitInfo,
): ManifestStatus[] {
  const before = new Map(previous.map((s) => [s.key, s]));
  const fingerprints = new Map(manifests.map((m) => [m.key, manifestFingerprint(m)]));
  return statuses.map((status) => {
    const stored = before.get(status.key)?.changedIn;
    const fingerprint = fingerprints.get(status.key);
    if (fingerprint === undefined) return stored ? { ...status, changedIn: stored } : status;
    if (stored?.fingerprint === fingerprint) return { ...status, changedIn: stored };
    const changedIn: ChangedIn = {
      sha: commit.sha,
      author: commit.author,
      date: commit.date,
      fingerprint,
      // Known before under another fingerprint: this commit changed it. Never seen (or stored before this
      // was kept): this is only where the reconciler first met it.
      ...(stored ? {} : { firstSeen: true as const }),
    };
    return { ...status, changedIn };
  });
}
