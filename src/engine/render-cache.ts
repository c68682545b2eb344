/**
 * What each manifest rendered last sync, reused while nothing its render reads has changed: the manifest
 * (its fingerprint: identity, spec, file), the settings, its namespace, its live objects (uid and
 * resourceVersion: any write by anyone changes it, so drift is seen), what its observe step returned, and,
 * for kinds whose render reads the commit or the repo's files, the commit. Render is a pure function of these,
 * so a reuse gives what a new render would: a sync where one file changed stamps and hashes only that file's
 * objects. Observe still runs every sync (it is how a new tag or an unhealthy DaemonSet is seen).
 */
import { CarriedOver } from '../core/carried-over.js';
import { contentHash, sameJson } from '../core/hash.js';
import type { KubeObject } from '../core/kube-object.js';
import { manifestFingerprint } from '../manifests/fingerprint.js';
import type { Manifest } from '../manifests/types.js';
import type { RenderedManifest } from './render-manifests.js';

export interface RenderInputs {
  manifest: Manifest;
  namespace: string;
  /** A hash of the settings, made once per sync (settingsKey). */
  settingsKey: string;
  live: readonly KubeObject[];
  observed: unknown;
  /** Set for kinds whose render reads the commit or the repo's files. */
  commit?: string;
}

export function settingsKey(settings: unknown): string {
  return contentHash(settings, 16);
}

/** Each live object's uid and resourceVersion, in the order given: [uid, rv, uid, rv...]. */
function versionsOf(live: readonly KubeObject[]): string[] {
  const versions: string[] = [];
  for (const o of live) versions.push(o.metadata.uid ?? '', o.metadata.resourceVersion ?? '');
  return versions;
}

/** The live objects as the render key reads them: each one's uid@resourceVersion, sorted. */
function liveText(versions: readonly string[]): string {
  const parts: string[] = [];
  for (let i = 0; i < versions.length; i += 2) parts.push(`${versions[i]}@${versions[i + 1]}`);
  return parts.sort().join(',');
}

/** The same live objects as the key reads them: the same versions in the same order, else by the key's text. */
function sameLive(a: readonly string[], b: readonly string[]): boolean {
  if (a.length === b.length && a.every((v, i) => v === b[i])) return true;
  return liveText(a) === liveText(b);
}

/** One string that changes whenever an input of the render does. */
export function renderKey(inputs: RenderInputs): string {
  return keyOf(compared(inputs));
}

/** The inputs as they are compared: the manifest by its fingerprint, the live objects by their versions. */
interface Compared {
  fingerprint: string;
  manifestKey: string;
  namespace: string;
  settingsKey: string;
  live: readonly string[];
  observed: unknown;
  commit: string;
}

function compared(inputs: RenderInputs): Compared {
  return {
    fingerprint: manifestFingerprint(inputs.manifest),
    manifestKey: inputs.manifest.key,
    namespace: inputs.namespace,
    settingsKey: inputs.settingsKey,
    live: versionsOf(inputs.live),
    observed: inputs.observed ?? null,
    commit: inputs.commit ?? '',
  };
}

function keyOf(c: Compared): string {
  return contentHash(
    [c.fingerprint, c.manifestKey, c.namespace, c.settingsKey, liveText(c.live), c.observed, c.commit],
    24,
  );
}

/**
 * Inputs that give the same key, told without hashing them: the strings equal and the observed state the
 * same JSON. False may still be the same key (sameJson cannot always tell): the key decides then.
 */
function sameInputs(a: Compared, b: Compared): boolean {
  return (
    a.fingerprint === b.fingerprint &&
    a.manifestKey === b.manifestKey &&
    a.namespace === b.namespace &&
    a.settingsKey === b.settingsKey &&
    a.commit === b.commit &&
    sameLive(a.live, b.live) &&
    sameJson(a.observed, b.observed)
  );
}

interface Entry {
  inputs: Compared;
  /** The render key, made only when the inputs could not be told the same without it. */
  key?: string;
  rendered: RenderedManifest;
}

/**
 * The renders of the last sync, by manifest key. Only clean renders are kept (a failed one is tried again),
 * and only the manifests rendered this sync stay: one that left Git leaves the cache. A render is reused when
 * its inputs are the same as last sync's, which, for a manifest whose observe returned what it did before,
 * costs no hash of the observed state.
 */
export class RenderCache {
  private readonly renders = new CarriedOver<Entry>();
  hits = 0;

  get(manifestKey: string, inputs: RenderInputs): RenderedManifest | undefined {
    const now = compared(inputs);
    let key: string | undefined;
    const entry = this.renders.take(manifestKey, (e) => {
      if (sameInputs(e.inputs, now)) return true;
      key ??= keyOf(now);
      e.key ??= keyOf(e.inputs);
      return e.key === key;
    });
    if (entry) this.hits++;
    return entry?.rendered;
  }

  set(manifestKey: string, inputs: RenderInputs, rendered: RenderedManifest): void {
    if (rendered.problems.length === 0)
      this.renders.keep(manifestKey, { inputs: compared(inputs), rendered });
  }

  /** Forgets every render: the next sync renders everything afresh (a full pass). */
  clear(): void {
    this.renders.clear();
  }

  /** Called once a sync's renders are all in: what was not rendered this time is dropped. */
  settle(): void {
    this.renders.settle();
    this.hits = 0;
  }
}
