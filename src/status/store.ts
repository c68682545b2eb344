import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Problem } from '../core/errors.js';
import { canonicalJson } from '../core/hash.js';
import type { KubeObject } from '../core/kube-object.js';
import { LABELS, MANAGER_NAME } from '../core/labels.js';
import type { KubeApi } from '../kube/types.js';
import { withConditions } from './conditions.js';
import type { SyncHistoryEntry } from './history.js';
import type { IgnoredFile, ManifestStatus } from './types.js';

/** What survives a restart: the per-manifest status and what we last applied (uid → version marker). */
export interface StoredState {
  commit?: string;
  manifests: ManifestStatus[];
  appliedVersions: Record<string, string>;
  /** Namespaces we have written to: where to look for owned objects. */
  namespaces: string[];
  /** Set while the source cannot be read: the status above is stale, and this says why. */
  sourceError?: { message: string; since: string };
  /** Problems of files rather than manifests (a YAML syntax error...): they fail the sync too. */
  fileProblems?: Problem[];
  /** Files and documents that are not manifests (CI files, Helm values...), skipped by rule. */
  ignored?: IgnoredFile[];
  /** The last syncs, newest first, bounded (history.ts): only syncs that changed something are added. */
  history?: SyncHistoryEntry[];
  /**
   * What kinds keep between syncs, by manifest key (KindDefinition.remember: ImageSync's last seen digests).
   * Stored in the manifest's own shard; kept by each kind compact and bounded.
   */
  memory?: Record<string, unknown>;
  /** The pull-budget ledger of every registry and credential (registry/pull-budget.ts; bounded there). */
  pullBudgets?: unknown;
}

const CONFIGMAP = { apiVersion: 'v1', kind: 'ConfigMap' } as const;
const KEY = 'state.json.gz';
const SHARD_KEY = 'shard.json.gz';

/**
 * A ConfigMap holds at most 1 MiB. A shard grows up to SHARD_BUDGET compressed bytes before the shards are
 * doubled (then each holds about half of that): room to spare under the limit, and few writes per change.
 */
export const SHARD_BUDGET = 512 * 1024;
const MAX_SHARDS = 1024;

export function statusConfigMapName(instance: string): string {
  return `image-gitops-status-${instance}`;
}

export function statusShardName(instance: string, index: number): string {
  return `${statusConfigMapName(instance)}-${index}`;
}

/** The head: everything but the per-manifest statuses and the applied versions, which are in the shards. */
interface Head {
  version: 2;
  shards: number;
  commit?: string;
  namespaces: string[];
  sourceError?: StoredState['sourceError'];
  fileProblems?: Problem[];
  ignored?: IgnoredFile[];
  history?: SyncHistoryEntry[];
  pullBudgets?: unknown;
}

interface Shard {
  manifests: ManifestStatus[];
  appliedVersions: Record<string, string>;
  /** Absent when empty, so that a state without memory stores the same text as before memory existed. */
  memory?: Record<string, unknown>;
}

/** A stable bucket for a key: the same manifest (or object uid) stays in the same shard. */
function bucketOf(key: string, shards: number): number {
  if (shards === 1) return 0;
  return createHash('sha1').update(key).digest().readUInt32BE(0) % shards;
}

/** Conditions are derived from the other fields: stored, they would only cost room (and rewrites). */
function storedForm(status: ManifestStatus): ManifestStatus {
  const { conditions: _derived, ...stored } = status;
  return stored;
}

function split(state: StoredState, shards: number): Shard[] {
  const buckets: Shard[] = Array.from({ length: shards }, () => ({ manifests: [], appliedVersions: {} }));
  for (const m of [...state.manifests].sort((a, b) => a.key.localeCompare(b.key)))
    buckets[bucketOf(m.key, shards)]!.manifests.push(storedForm(m));
  for (const uid of Object.keys(state.appliedVersions).sort())
    buckets[bucketOf(uid, shards)]!.appliedVersions[uid] = state.appliedVersions[uid]!;
  for (const key of Object.keys(state.memory ?? {}).sort()) {
    const bucket = buckets[bucketOf(key, shards)]!;
    bucket.memory ??= {};
    bucket.memory[key] = state.memory![key];
  }
  return buckets;
}

function headOf(state: StoredState, shards: number): Head {
  return {
    version: 2,
    shards,
    ...(state.commit !== undefined ? { commit: state.commit } : {}),
    namespaces: state.namespaces,
    ...(state.sourceError ? { sourceError: state.sourceError } : {}),
    ...(state.fileProblems?.length ? { fileProblems: state.fileProblems } : {}),
    ...(state.ignored?.length ? { ignored: state.ignored } : {}),
    ...(state.history?.length ? { history: state.history } : {}),
    ...(state.pullBudgets !== undefined ? { pullBudgets: state.pullBudgets } : {}),
  };
}

function decode<T>(cm: KubeObject | undefined, key: string): T | undefined {
  const data = (cm?.binaryData as Record<string, string> | undefined)?.[key];
  if (!data) return undefined;
  return JSON.parse(gunzipSync(Buffer.from(data, 'base64')).toString('utf8')) as T;
}

/** A write of the stored status that the API server refused: the sync that made it fails. */
export class StatusNotSavedError extends Error {
  constructor(name: string, cause: unknown) {
    super(
      `status not saved: ConfigMap ${name} was refused (${cause instanceof Error ? cause.message : String(cause)}); a restart would re-apply what this sync applied`,
      { cause },
    );
    this.name = 'StatusNotSavedError';
  }
}

/**
 * Keeps the state in ConfigMaps: a head (`image-gitops-status-<instance>`, where the Events go) and shards
 * (`-0`, `-1`...) holding the manifests' statuses and applied versions, each gzipped and under SHARD_BUDGET,
 * so that 10,000 manifests of any kind fit with room to spare. Each ConfigMap is written only when its
 * content changed: a sync with nothing to do, or a restart, makes no write at all (the sync history in the
 * head only grows by syncs that changed something, see history.ts); a change in one manifest
 * rewrites one or two shards, not the whole state.
 */
export class StatusStore {
  /** Canonical text and compressed size of each ConfigMap as last saved or loaded, by name. */
  private saved = new Map<string, { text: string; size: number }>();
  private shards = 1;

  constructor(
    private readonly kube: KubeApi,
    private readonly namespace: string,
    private readonly instance: string,
    private readonly budget = SHARD_BUDGET,
  ) {}

  get objectRef(): { apiVersion: string; kind: string; namespace: string; name: string } {
    return { ...CONFIGMAP, namespace: this.namespace, name: statusConfigMapName(this.instance) };
  }

  async load(): Promise<StoredState | undefined> {
    const headName = statusConfigMapName(this.instance);
    const cm = await this.kube.get(CONFIGMAP, this.namespace, headName);
    let head: Head | (StoredState & { version?: undefined }) | undefined;
    try {
      head = decode(cm, KEY);
    } catch {
      return undefined; // a damaged state only costs one round of re-applies
    }
    if (!head) return undefined;
    // One ConfigMap, as before sharding: rewritten on save.
    if (head.version !== 2)
      return { ...head, manifests: (head.manifests ?? []).map(withConditions) } as StoredState;
    const state: StoredState = {
      ...(head.commit !== undefined ? { commit: head.commit } : {}),
      manifests: [],
      appliedVersions: {},
      namespaces: head.namespaces,
      ...(head.sourceError ? { sourceError: head.sourceError } : {}),
      ...(head.fileProblems ? { fileProblems: head.fileProblems } : {}),
      ...(head.ignored ? { ignored: head.ignored } : {}),
      ...(head.history ? { history: head.history } : {}),
      ...(head.pullBudgets !== undefined ? { pullBudgets: head.pullBudgets } : {}),
    };
    const saved = new Map<string, { text: string; size: number }>();
    const shards = await Promise.all(
      Array.from({ length: head.shards }, (_, i) =>
        this.kube.get(CONFIGMAP, this.namespace, statusShardName(this.instance, i)),
      ),
    );
    shards.forEach((shardCm, i) => {
      let shard: Shard | undefined;
      try {
        shard = decode<Shard>(shardCm, SHARD_KEY);
      } catch {
        shard = undefined;
      }
      if (!shard) return; // missing or damaged: written again on the next save
      state.manifests.push(...shard.manifests.map(withConditions));
      Object.assign(state.appliedVersions, shard.appliedVersions);
      if (shard.memory) state.memory = { ...state.memory, ...shard.memory };
      const text = canonicalJson(shard);
      saved.set(statusShardName(this.instance, i), { text, size: gzipSync(text).length });
    });
    state.manifests.sort((a, b) => a.key.localeCompare(b.key));
    const headText = canonicalJson(head);
    saved.set(headName, { text: headText, size: 0 });
    this.saved = saved;
    this.shards = head.shards;
    return state;
  }

  /** Writes what changed; returns the number of ConfigMaps written. Throws StatusNotSavedError. */
  async save(state: StoredState): Promise<number> {
    const { shards, texts } = this.layout(state);
    const writes: Array<{ name: string; text: string; key: string; size: number }> = [];
    texts.forEach(({ text, size }, i) => {
      const name = statusShardName(this.instance, i);
      if (this.saved.get(name)?.text !== text) writes.push({ name, text, key: SHARD_KEY, size });
    });
    const headName = statusConfigMapName(this.instance);
    const headText = canonicalJson(headOf(state, shards));
    if (this.saved.get(headName)?.text !== headText)
      writes.push({ name: headName, text: headText, key: KEY, size: 0 });
    // Shards first, the head last: the head names how many shards to read.
    for (const write of writes) {
      try {
        if (!this.saved.has(write.name)) await this.refuseAnotherInstances(write.name);
        await this.kube.apply(this.configMap(write.name, write.key, write.text));
      } catch (error) {
        throw new StatusNotSavedError(write.name, error);
      }
      this.saved.set(write.name, { text: write.text, size: write.size });
    }
    for (let i = shards; i < this.shards; i++) {
      const name = statusShardName(this.instance, i);
      await this.kube.delete(CONFIGMAP, this.namespace, name).catch(() => undefined);
      this.saved.delete(name);
    }
    this.shards = shards;
    return writes.length;
  }

  /** How many shards, and each one's text: doubled while one is over the budget, halved when all are small. */
  private layout(state: StoredState): { shards: number; texts: Array<{ text: string; size: number }> } {
    const texts = (n: number) =>
      split(state, n).map((shard, i) => {
        const text = canonicalJson(shard);
        const known = this.saved.get(statusShardName(this.instance, i));
        return { text, size: known?.text === text ? known.size : gzipSync(text).length };
      });
    let shards = this.shards;
    let current = texts(shards);
    if (current.some((t) => t.size > this.budget)) {
      while (shards < MAX_SHARDS && current.some((t) => t.size > this.budget / 2)) {
        shards *= 2;
        current = texts(shards);
      }
    } else {
      while (shards > 1) {
        // Bucket j of n/2 is buckets j and j + n/2 of n: their sizes add up to about its size.
        const n = shards;
        if (current.slice(0, n / 2).some((t, j) => t.size + current[j + n / 2]!.size > this.budget / 4))
          break;
        const half = texts(shards / 2);
        if (half.some((t) => t.size > this.budget / 4)) break;
        shards /= 2;
        current = half;
      }
    }
    return { shards, texts: current };
  }

  /**
   * Instance names may clash: the shard `-0` of instance "team" is the head of instance "team-0". A ConfigMap
   * this store has not read or written before is read once first, and not written if another instance's.
   */
  private async refuseAnotherInstances(name: string): Promise<void> {
    const labels = (await this.kube.get(CONFIGMAP, this.namespace, name))?.metadata.labels ?? {};
    const other = labels[LABELS.instance];
    if (
      labels[LABELS.managedBy] !== `${MANAGER_NAME}-status` ||
      other === undefined ||
      other === this.instance
    )
      return;
    throw new Error(
      `it holds the status of image-gitops instance "${other}": the instance names "${this.instance}" and "${other}" clash (the status of an instance is image-gitops-status-<instance> and image-gitops-status-<instance>-<n>); rename one of them (IMAGE_GITOPS_INSTANCE)`,
    );
  }

  private configMap(name: string, key: string, text: string): KubeObject {
    return {
      ...CONFIGMAP,
      metadata: {
        name,
        namespace: this.namespace,
        labels: { [LABELS.managedBy]: `${MANAGER_NAME}-status`, [LABELS.instance]: this.instance },
      },
      binaryData: { [key]: gzipSync(text).toString('base64') },
    };
  }
}
