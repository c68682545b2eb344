/**
 * What ImageSync keeps so that the tags a manifest pushed can be deleted once the manifest has left Git and its
 * spec is gone (finalize.ts), pure. While `prune.enabled`, its memory holds `leave`: its name, namespace and
 * file, the destination repository, its own `registries` entry for the destination host and `prune.retain`:
 * references only (a Secret's name, never its value). Once it left, its memory is `{pushed, leave, leaving}`,
 * `leaving` saying since when and how many syncs tried: past both LEAVE_GIVE_UP_MS and LEAVE_MIN_ATTEMPTS
 * the reconciler gives up, so that nothing of a removed manifest lingers forever.
 */
import type { Manifest } from '../../manifests/types.js';
import { normaliseRegistryHost } from '../../registry/references.js';
import { pruneEnabled } from './deletions.js';
import { destinationRepository } from './observe-deletions.js';
import { type PushedRecord, readPushed, type StoredPushed, storedPushed } from './pushed.js';
import type { CaSource, ImageSyncSpec, RegistrySettings } from './spec.js';
import { compileTagExpression } from './tags.js';

/** A removed manifest's deletions are given up once they have been tried this long... */
export const LEAVE_GIVE_UP_MS = 24 * 3600_000;
/** ...and at least this many times (a reconciler down for a day does not give up at its first sync). */
export const LEAVE_MIN_ATTEMPTS = 5;

/** The manifest's own `registries` entry for the destination host, as references. */
export type LeaveRegistry = Pick<
  RegistrySettings,
  'host' | 'credentialsSecret' | 'tlsVerify' | 'caSecret' | 'caConfigMap' | 'awsEcr'
>;

export interface LeaveSpec {
  name: string;
  namespace?: string;
  file: string;
  /** `host/repository` of the destination: the pushed record's. */
  repository: string;
  registry?: LeaveRegistry;
  retain?: string;
}

export interface LeavingClock {
  /** When the first sync after the manifest left tried (ISO time). */
  since: string;
  attempts: number;
}

/** A removed manifest's memory. */
export interface LeftMemory {
  pushed?: StoredPushed;
  leave: LeaveSpec;
  leaving: LeavingClock;
}

/** What `leave` keeps of a manifest with `prune.enabled`; undefined without (nothing is deleted once it left). */
export function leaveSpecOf(manifest: Manifest<ImageSyncSpec>): LeaveSpec | undefined {
  const spec = manifest.spec;
  if (!pruneEnabled(spec)) return undefined;
  const { registry, repository } = destinationRepository(spec);
  const own = spec.registries?.find((r) => normaliseRegistryHost(r.host) === normaliseRegistryHost(registry));
  const entry = own ? registryReferences(own) : undefined;
  return {
    name: manifest.name,
    ...(manifest.namespace ? { namespace: manifest.namespace } : {}),
    file: manifest.origin.file,
    repository: `${registry}/${repository}`,
    ...(entry ? { registry: entry } : {}),
    ...(spec.prune?.retain !== undefined ? { retain: spec.prune.retain } : {}),
  };
}

function registryReferences(entry: RegistrySettings): LeaveRegistry {
  const ca = (source: CaSource | undefined) =>
    source ? { name: source.name, ...(source.key !== undefined ? { key: source.key } : {}) } : undefined;
  const caSecret = ca(entry.caSecret);
  const caConfigMap = ca(entry.caConfigMap);
  return {
    host: entry.host,
    ...(entry.credentialsSecret !== undefined ? { credentialsSecret: entry.credentialsSecret } : {}),
    ...(entry.tlsVerify !== undefined ? { tlsVerify: entry.tlsVerify } : {}),
    ...(caSecret ? { caSecret } : {}),
    ...(caConfigMap ? { caConfigMap } : {}),
    ...(entry.awsEcr !== undefined ? { awsEcr: entry.awsEcr } : {}),
  };
}

/**
 * A memory kept without a new observe (a timed run not due) with `leave` as the manifest says now: one that
 * turned `prune` off must not have its tags deleted when it leaves. Undefined when there is none to keep.
 */
export function withLeave(
  previous: unknown,
  leave: LeaveSpec | undefined,
): Record<string, unknown> | undefined {
  if (!isRecord(previous)) return undefined;
  const { leave: _, ...rest } = previous;
  return leave ? { ...rest, leave } : rest;
}

const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const HOST = /^(https?:\/\/)?[A-Za-z0-9.-]+(:[0-9]{1,5})?\/?$/;
const REPOSITORY = /^[A-Za-z0-9.-]+(:[0-9]{1,5})?(\/[a-z0-9._-]+)+$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

const optional = <T>(value: unknown, check: (v: unknown) => v is T): value is T | undefined =>
  value === undefined || check(value);
const isName = (v: unknown): v is string => typeof v === 'string' && NAME.test(v);
const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';
const isCa = (v: unknown): v is CaSource =>
  isRecord(v) &&
  isName(v.name) &&
  optional(v.key, (k): k is string => typeof k === 'string' && k.length <= 253);

function readRegistry(value: unknown): LeaveRegistry | undefined | false {
  if (value === undefined) return undefined;
  if (!isRecord(value) || typeof value.host !== 'string' || !HOST.test(value.host)) return false;
  const { credentialsSecret, tlsVerify, caSecret, caConfigMap, awsEcr } = value;
  if (!optional(credentialsSecret, isName) || !optional(tlsVerify, isBoolean) || !optional(awsEcr, isBoolean))
    return false;
  if (!optional(caSecret, isCa) || !optional(caConfigMap, isCa)) return false;
  return registryReferences({
    host: value.host,
    credentialsSecret,
    tlsVerify,
    caSecret,
    caConfigMap,
    awsEcr,
  });
}

/** The stored `leave` when well formed (names, hosts and the retain expression checked), else undefined. */
export function readLeave(value: unknown): LeaveSpec | undefined {
  if (!isRecord(value)) return undefined;
  const { name, namespace, file, repository, retain } = value;
  if (!isName(name) || !optional(namespace, isName)) return undefined;
  if (typeof file !== 'string' || file.length === 0 || file.length > 4096 || file.includes('\0'))
    return undefined;
  if (typeof repository !== 'string' || repository.length > 512 || !REPOSITORY.test(repository))
    return undefined;
  const registry = readRegistry(value.registry);
  if (registry === false) return undefined;
  if (retain !== undefined) {
    if (typeof retain !== 'string') return undefined;
    try {
      compileTagExpression(retain);
    } catch {
      return undefined;
    }
  }
  return {
    name,
    ...(namespace ? { namespace } : {}),
    file,
    repository,
    ...(registry ? { registry } : {}),
    ...(retain !== undefined ? { retain } : {}),
  };
}

function readClock(value: unknown): LeavingClock | undefined {
  if (!isRecord(value)) return undefined;
  const { since, attempts } = value;
  if (typeof since !== 'string' || since.length > 64 || Number.isNaN(Date.parse(since))) return undefined;
  if (typeof attempts !== 'number' || !Number.isInteger(attempts) || attempts < 0) return undefined;
  return { since, attempts };
}

export interface LeavingState {
  leave: LeaveSpec;
  record: PushedRecord;
  /** Absent until the first sync after the manifest left. */
  clock?: LeavingClock;
}

/**
 * What a removed manifest's memory says is left to delete: its `leave` and the record of the tags it pushed
 * to that repository; undefined when there is nothing (no `prune`, nothing pushed, not well formed).
 */
export function readLeaving(memory: unknown): LeavingState | undefined {
  if (!isRecord(memory)) return undefined;
  const leave = readLeave(memory.leave);
  if (!leave) return undefined;
  const record = readPushed(memory, leave.repository);
  if (record.tags.size === 0) return undefined;
  const clock = readClock(memory.leaving);
  return { leave, record, ...(clock ? { clock } : {}) };
}

/** This sync's try, counted. */
export function nextClock(clock: LeavingClock | undefined, now: Date): LeavingClock {
  return { since: clock?.since ?? now.toISOString(), attempts: (clock?.attempts ?? 0) + 1 };
}

/** Whether this try is past both bounds: the deletions are given up. */
export function givesUp(clock: LeavingClock, now: Date): boolean {
  return now.getTime() - Date.parse(clock.since) >= LEAVE_GIVE_UP_MS && clock.attempts > LEAVE_MIN_ATTEMPTS;
}

export function leftMemory(leave: LeaveSpec, record: PushedRecord, clock: LeavingClock): LeftMemory {
  const pushed = storedPushed(record);
  return { ...(pushed ? { pushed } : {}), leave, leaving: clock };
}

/** `host/path/to/repo` as the registry and the repository. */
export function splitRepository(repository: string): { registry: string; repository: string } {
  const slash = repository.indexOf('/');
  return { registry: repository.slice(0, slash), repository: repository.slice(slash + 1) };
}

/** Stands in for the manifest that left: its key, name, namespace and file as they were. */
export function standIn(key: string, leave: LeaveSpec): Manifest<ImageSyncSpec> {
  const destination = { image: leave.repository };
  return {
    key,
    kind: 'ImageSync',
    name: leave.name,
    ...(leave.namespace ? { namespace: leave.namespace } : {}),
    // Only what naming and the destination need: the manifest's spec is gone.
    spec: { source: { image: leave.repository }, destination },
    origin: { file: leave.file, line: 0, apiVersion: 'image-gitops.io/v1alpha1', kind: 'ImageSync' },
  };
}
