import type { CommitInfo } from '../core/commit.js';
import { contentHash, sha256Hex } from '../core/hash.js';
import type { KubeObject } from '../core/kube-object.js';
import { ANNOTATIONS, LABELS, MANAGER_NAME } from '../core/labels.js';
import type { Manifest } from '../manifests/types.js';

/** Ids by manifest key: each is asked for every sync (render), and a hash each time cost 10,000 hashes. */
const ids = new Map<string, string>();
const IDS_MAX = 100_000;

/** The label value that ties an object to its manifest: a hash, since keys can exceed 63 characters. */
export function manifestId(manifestKey: string): string {
  let id = ids.get(manifestKey);
  if (id === undefined) {
    if (ids.size >= IDS_MAX) ids.clear(); // bounded: keys come and go over a process's life
    id = sha256Hex(manifestKey).slice(0, 16);
    ids.set(manifestKey, id);
  }
  return id;
}

/** Selects every object one reconciler instance owns. */
export function ownedSelector(instance: string): string {
  return `${LABELS.managedBy}=${MANAGER_NAME},${LABELS.instance}=${instance}`;
}

/**
 * Marks a rendered object as ours and names where it came from (manifest, file, commit). The applied hash
 * covers everything but the commit, so a commit that changes nothing for this object writes nothing, and
 * the commit annotation keeps naming the commit that last changed the object.
 */
export function stampObject(
  object: KubeObject,
  manifest: Manifest,
  instance: string,
  commit: CommitInfo,
): KubeObject {
  const metadata = object.metadata;
  const stamped: KubeObject = {
    ...object,
    metadata: {
      ...metadata,
      labels: {
        ...metadata.labels,
        [LABELS.managedBy]: MANAGER_NAME,
        [LABELS.instance]: instance,
        [LABELS.manifestId]: manifestId(manifest.key),
        [LABELS.manifestKind]: manifest.kind,
      },
      annotations: {
        ...metadata.annotations,
        [ANNOTATIONS.manifest]: manifest.key,
        [ANNOTATIONS.sourceFile]: manifest.origin.file,
      },
    },
  };
  const hash = contentHash(stamped, 16);
  stamped.metadata.annotations![ANNOTATIONS.appliedHash] = hash;
  stamped.metadata.annotations![ANNOTATIONS.commit] = commit.sha;
  return stamped;
}

export function appliedHashOf(object: KubeObject): string | undefined {
  return object.metadata.annotations?.[ANNOTATIONS.appliedHash];
}

export function manifestKeyOf(object: KubeObject): string | undefined {
  return object.metadata.annotations?.[ANNOTATIONS.manifest];
}

export function sourceFileOf(object: KubeObject): string | undefined {
  return object.metadata.annotations?.[ANNOTATIONS.sourceFile];
}
