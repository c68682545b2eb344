import { gunzipSync, gzipSync } from 'node:zlib';
import { canonicalJson } from '../core/hash.js';
import type { KubeObject } from '../core/kube-object.js';
import { LABELS, MANAGER_NAME } from '../core/labels.js';
import type { KubeApi } from '../kube/types.js';
import type { ManifestStatus } from './types.js';

/** What survives a restart: the per-manifest status and what we last applied (uid → version marker). */
export interface StoredState {
  commit?: string;
  manifests: ManifestStatus[];
  appliedVersions: Record<string, string>;
  /** Namespaces we have written to: where to look for owned objects. */
  namespaces: string[];
  /** Set while the source cannot be read: the status above is stale, and this says why. */
  sourceError?: { message: string; since: string };
}

const CONFIGMAP = { apiVersion: 'v1', kind: 'ConfigMap' } as const;
const KEY = 'state.json.gz';

export function statusConfigMapName(instance: string): string {
  return `image-gitops-status-${instance}`;
}

/**
 * Keeps the state in a ConfigMap (gzipped: 10,000 manifests fit under the 1 MiB object limit) and writes
 * it only when it changed, so that a sync with nothing to do makes no write at all.
 */
export class StatusStore {
  private lastSaved?: string;

  constructor(
    private readonly kube: KubeApi,
    private readonly namespace: string,
    private readonly instance: string,
  ) {}

  get objectRef(): { apiVersion: string; kind: string; namespace: string; name: string } {
    return { ...CONFIGMAP, namespace: this.namespace, name: statusConfigMapName(this.instance) };
  }

  async load(): Promise<StoredState | undefined> {
    const cm = await this.kube.get(CONFIGMAP, this.namespace, statusConfigMapName(this.instance));
    const data = (cm?.binaryData as Record<string, string> | undefined)?.[KEY];
    if (!data) return undefined;
    try {
      const state = JSON.parse(gunzipSync(Buffer.from(data, 'base64')).toString('utf8')) as StoredState;
      this.lastSaved = canonicalJson(state);
      return state;
    } catch {
      return undefined; // a damaged state only costs one round of re-applies
    }
  }

  async save(state: StoredState): Promise<boolean> {
    const text = canonicalJson(state);
    if (text === this.lastSaved) return false;
    const object: KubeObject = {
      ...CONFIGMAP,
      metadata: {
        name: statusConfigMapName(this.instance),
        namespace: this.namespace,
        labels: { [LABELS.managedBy]: `${MANAGER_NAME}-status`, [LABELS.instance]: this.instance },
      },
      binaryData: { [KEY]: gzipSync(text).toString('base64') },
    };
    await this.kube.apply(object);
    this.lastSaved = text;
    return true;
  }
}
