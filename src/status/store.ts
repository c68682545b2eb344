import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Problem } from '../core/errors.js';
import { canonicalJson, sameJson, sortedRecordJson } from '../core/hash.js';
import type { KubeObject } from '../core/kube-object.js';
import { LABELS, MANAGER_NAME } from '../core/labels.js';
import { sortedBy } from '../core/sorted.js';
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
  /**
   * The commit and author of the manifests' statuses, left out of each status that has them: every status
   * names the sync's commit, and without this a one-file commit would rewrite every shard.
   */
  statusCommit?: StatusCommit;
}

/** The commit (sha) and author that a sync's statuses share. */
export interface StatusCommit {
  sha: string;
  author: string;
}

interface Shard {
  manifests: ManifestStatus[];
  appliedVersions: Record<string, string>;
  /** Absent when empty, so that a state without memory stores the same text as before memory existed. */
  memory?: Record<string, unknown>;
}

/** What the statuses share: the state's commit, with the author of a status at it (none without one). */
export function statusCommitOf(state: Pick<StoredState, 'commit' | 'manifests'>): StatusCommit | undefined {
  // A status without a commit would be given the shared one on load: then none is shared.
  if (state.commit === undefined || state.manifests.some((m) => m.commit === undefined)) return undefined;
  const status = state.manifests.find((m) => m.commit === state.commit);
  return status ? { sha: status.commit, author: status.author } : undefined;
}

/**
 * A status as stored: conditions are derived from the other fields (stored, they would only cost room and
 * rewrites), and the commit and author are left out where they are the shared ones (the head holds those).
 */
export function storedForm(
  status: ManifestStatus,
  shared: StatusCommit | undefined,
): Partial<ManifestStatus> {
  const { conditions: _derived, ...stored } = status;
  if (!shared || status.commit !== shared.sha || status.author !== shared.author) return stored;
  const { commit: _sha, author: _author, ...rest } = stored;
  return rest;
}

/** A stored status as it was saved: the shared commit and author given back where they were left out. */
export function restoredForm(
  stored: Partial<ManifestStatus>,
  shared: StatusCommit | undefined,
): ManifestStatus {
  if (!shared || stored.commit !== undefined) return stored as ManifestStatus;
  return { ...stored, commit: shared.sha, author: shared.author } as ManifestStatus;
}

/**
 * A shard's canonical JSON (exactly `canonicalJson(shard)`) from its parts' canonical texts: the manifests'
 * texts are kept from one save to the next, and only those of statuses that changed are made again.
 */
export function shardText(appliedVersions: string, manifests: readonly string[], memory?: string): string {
  const tail = memory === undefined ? '' : `,"memory":${memory}`;
  return `{"appliedVersions":${appliedVersions},"manifests":[${manifests.join(',')}]${tail}}`;
}

/** A stable bucket for a key's hash: the same manifest (or object uid) stays in the same shard. */
function bucketOf(hash: number, shards: number): number {
  return shards === 1 ? 0 : hash % shards;
}

/** The hash a key is bucketed by. */
function keyHash(key: string): number {
  return createHash('sha1').update(key).digest().readUInt32BE(0);
}

/** A status's stored text, and the stored form it was made from (a copy of its own, read back from the text). */
interface StatusText {
  stored: unknown;
  text: string;
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** A shard in the making: its manifests' texts (in key order), its uids (sorted) and memory. */
interface ShardParts {
  manifests: string[];
  uids: string[];
  memory?: Record<string, unknown>;
}

function headOf(state: StoredState, shards: number, statusCommit: StatusCommit | undefined): Head {
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
    ...(statusCommit ? { statusCommit } : {}),
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
  /** Each status's stored text as last saved or loaded, by manifest key: reused while its stored form holds. */
  private statusTexts = new Map<string, StatusText>();
  /** Each shard's applied versions as last written out, by shard count and index (versionsText). */
  private versionTexts = new Map<string, { uids: string[]; values: string[]; text: string }>();
  /** The hash each manifest key and object uid is bucketed by, as last saved. */
  private keyHashes = new Map<string, number>();

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
    const statusTexts = new Map<string, StatusText>();
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
      const texts = shard.manifests.map((m) => {
        const text = canonicalJson(m);
        // The stored form kept is a copy of its own: the state handed out may be changed in place.
        statusTexts.set(m.key, { stored: JSON.parse(text), text });
        return text;
      });
      state.manifests.push(...shard.manifests.map((m) => withConditions(restoredForm(m, head.statusCommit))));
      Object.assign(state.appliedVersions, shard.appliedVersions);
      if (shard.memory) state.memory = { ...state.memory, ...shard.memory };
      const text = shardText(
        canonicalJson(shard.appliedVersions),
        texts,
        shard.memory ? canonicalJson(shard.memory) : undefined,
      );
      saved.set(statusShardName(this.instance, i), { text, size: gzipSync(text).length });
    });
    state.manifests.sort((a, b) => a.key.localeCompare(b.key));
    const headText = canonicalJson(head);
    saved.set(headName, { text: headText, size: 0 });
    this.saved = saved;
    this.statusTexts = statusTexts;
    this.shards = head.shards;
    return state;
  }

  /** Writes what changed; returns the number of ConfigMaps written. Throws StatusNotSavedError. */
  async save(state: StoredState): Promise<number> {
    const statusCommit = statusCommitOf(state);
    const { shards, texts } = this.layout(state, statusCommit);
    const writes: Array<{ name: string; text: string; key: string; size: number; gzipped?: Buffer }> = [];
    texts.forEach((shard, i) => {
      const name = statusShardName(this.instance, i);
      if (this.saved.get(name)?.text !== shard.text) writes.push({ name, key: SHARD_KEY, ...shard });
    });
    const headName = statusConfigMapName(this.instance);
    const headText = canonicalJson(headOf(state, shards, statusCommit));
    if (this.saved.get(headName)?.text !== headText)
      writes.push({ name: headName, text: headText, key: KEY, size: 0 });
    // The shards at once (each its own ConfigMap), the head last: the head names how many shards to read.
    const shardWrites = await Promise.allSettled(
      writes.filter((w) => w.key === SHARD_KEY).map((w) => this.write(w)),
    );
    const refused = shardWrites.find((w) => w.status === 'rejected');
    if (refused) throw refused.reason;
    for (const write of writes.filter((w) => w.key === KEY)) await this.write(write);
    for (let i = shards; i < this.shards; i++) {
      const name = statusShardName(this.instance, i);
      await this.kube.delete(CONFIGMAP, this.namespace, name).catch(() => undefined);
      this.saved.delete(name);
    }
    this.shards = shards;
    return writes.length;
  }

  /** One ConfigMap written (after checking that a new name is not another instance's). */
  private async write(write: { name: string; text: string; key: string; size: number; gzipped?: Buffer }) {
    try {
      if (!this.saved.has(write.name)) await this.refuseAnotherInstances(write.name);
      await this.kube.apply(this.configMap(write.name, write.key, write.gzipped ?? gzipSync(write.text)));
    } catch (error) {
      throw new StatusNotSavedError(write.name, error);
    }
    this.saved.set(write.name, { text: write.text, size: write.size });
  }

  /**
   * Each status's stored text, in key order: the text of the last save where the stored form is the same
   * JSON (sameJson, no text made), else made now. Only the statuses that changed cost a serialisation.
   */
  private statusTextsOf(
    state: StoredState,
    statusCommit: StatusCommit | undefined,
  ): { keys: string[]; texts: string[] } {
    const keys: string[] = [];
    const texts: string[] = [];
    for (const status of sortedBy(state.manifests, (a, b) => a.key.localeCompare(b.key))) {
      const stored = storedForm(status, statusCommit);
      const known = this.statusTexts.get(status.key);
      let text = known?.text;
      if (!known || !sameJson(known.stored, stored)) {
        text = canonicalJson(stored);
        this.statusTexts.set(status.key, { stored: JSON.parse(text), text });
      }
      keys.push(status.key);
      texts.push(text!);
    }
    // Manifests gone take their texts with them.
    if (this.statusTexts.size > keys.length) {
      const present = new Set(keys);
      for (const key of this.statusTexts.keys()) if (!present.has(key)) this.statusTexts.delete(key);
    }
    return { keys, texts };
  }

  /**
   * The text of a shard's applied versions: last save's while its uids and their versions are the same (one
   * object applied changes one shard's), else made now. Kept by slot (shard count and index).
   */
  private versionsText(slot: string, uids: string[], versions: Readonly<Record<string, string>>): string {
    const values = uids.map((uid) => versions[uid]!);
    const known = this.versionTexts.get(slot);
    if (known && sameStrings(known.uids, uids) && sameStrings(known.values, values)) return known.text;
    const text = sortedRecordJson(uids, versions);
    this.versionTexts.set(slot, { uids, values, text });
    return text;
  }

  /** The bucket hash of each key, in the order given: made once per key and kept (pruneHashes). */
  private hashesOf(keys: readonly string[]): number[] {
    return keys.map((key) => {
      let hash = this.keyHashes.get(key);
      if (hash === undefined) {
        hash = keyHash(key);
        this.keyHashes.set(key, hash);
      }
      return hash;
    });
  }

  /** Forgets the hashes of keys gone, when they have come to outnumber those still there. */
  private pruneHashes(...keyLists: ReadonlyArray<readonly string[]>): void {
    if (this.keyHashes.size <= 2 * keyLists.reduce((n, keys) => n + keys.length, 0)) return;
    const kept = new Set(keyLists.flat());
    for (const key of this.keyHashes.keys()) if (!kept.has(key)) this.keyHashes.delete(key);
  }

  /** How many shards, and each one's text: doubled while one is over the budget, halved when all are small. */
  private layout(
    state: StoredState,
    statusCommit: StatusCommit | undefined,
  ): { shards: number; texts: Array<{ text: string; size: number; gzipped?: Buffer }> } {
    const { keys, texts: statusTexts } = this.statusTextsOf(state, statusCommit);
    const uids = Object.keys(state.appliedVersions).sort();
    const memoryKeys = Object.keys(state.memory ?? {}).sort();
    const statusHashes = this.hashesOf(keys);
    const uidHashes = this.hashesOf(uids);
    const memoryHashes = this.hashesOf(memoryKeys);
    this.pruneHashes(keys, uids, memoryKeys);
    const split = (n: number): ShardParts[] => {
      const buckets: ShardParts[] = Array.from({ length: n }, () => ({ manifests: [], uids: [] }));
      for (let i = 0; i < keys.length; i++)
        buckets[bucketOf(statusHashes[i]!, n)]!.manifests.push(statusTexts[i]!);
      for (let i = 0; i < uids.length; i++) buckets[bucketOf(uidHashes[i]!, n)]!.uids.push(uids[i]!);
      for (let i = 0; i < memoryKeys.length; i++) {
        const bucket = buckets[bucketOf(memoryHashes[i]!, n)]!;
        bucket.memory ??= {};
        bucket.memory[memoryKeys[i]!] = state.memory![memoryKeys[i]!];
      }
      return buckets;
    };
    // A shard's text is compressed only when it changed; the compressed bytes are what is then written.
    const texts = (n: number) =>
      split(n).map((parts, i) => {
        const text = shardText(
          this.versionsText(`${n}/${i}`, parts.uids, state.appliedVersions),
          parts.manifests,
          parts.memory ? canonicalJson(parts.memory) : undefined,
        );
        const known = this.saved.get(statusShardName(this.instance, i));
        if (known?.text === text) return { text, size: known.size };
        const gzipped = gzipSync(text);
        return { text, size: gzipped.length, gzipped };
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
    for (const slot of this.versionTexts.keys())
      if (!slot.startsWith(`${shards}/`)) this.versionTexts.delete(slot);
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

  private configMap(name: string, key: string, gzipped: Buffer): KubeObject {
    return {
      ...CONFIGMAP,
      metadata: {
        name,
        namespace: this.namespace,
        labels: { [LABELS.managedBy]: `${MANAGER_NAME}-status`, [LABELS.instance]: this.instance },
      },
      binaryData: { [key]: gzipped.toString('base64') },
    };
  }
}
