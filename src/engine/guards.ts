/**
 * What the rendered objects of a config repo may not do, checked between render and plan. A refusal is the
 * manifest's error (file, line, field): its objects are then kept as last applied, like any failing manifest.
 * - name a Secret not meant for manifests (secret-access.ts);
 * - render an object another manifest already renders (after defaulting: the same apiVersion group, kind,
 *   namespace and name however the namespace was written);
 * - take over an object that exists and that this instance did not create.
 */
import { mapBounded } from '../core/concurrency.js';
import { type Problem, problemFromError } from '../core/errors.js';
import { type KubeObject, objectKey } from '../core/kube-object.js';
import { LABELS, MANAGER_NAME } from '../core/labels.js';
import { sortedBy } from '../core/sorted.js';
import type { KubeApi } from '../kube/types.js';
import { locateValueIn, manifestLocation } from '../manifests/load.js';
import { ADOPT_ANNOTATION } from '../plan/plan.js';
import type { RenderedManifest } from './render-manifests.js';
import { externalSecretRefs, type SecretGate } from './secret-access.js';

function fail(rendered: RenderedManifest, problem: Problem): RenderedManifest {
  return { ...rendered, objects: [], problems: [...rendered.problems, problem] };
}

function describe(object: KubeObject): string {
  const ns = object.metadata.namespace ? `${object.metadata.namespace}/` : '';
  return `${object.kind} ${ns}${object.metadata.name}`;
}

/** Problems of observe and render carry the manifest's file and line; a refused Secret also its field. */
export function locateProblems(rendered: RenderedManifest[]): RenderedManifest[] {
  return rendered.map((r) => {
    if (r.problems.length === 0) return r;
    const problems = r.problems.map((p): Problem => {
      if (p.code === 'SECRET_REFUSED') {
        const name = /Secret [^/\s]+\/([^\s:]+)/.exec(p.message)?.[1];
        if (name) return { ...p, location: locateValueIn(r.manifest, name) };
      }
      if (p.location?.line !== undefined) return p;
      return { ...p, location: { ...manifestLocation(r.manifest), ...p.location } };
    });
    return { ...r, problems };
  });
}

/**
 * Two manifests rendering one object would fight over it on every sync: the first (by file, then line)
 * keeps it, the later one fails and names the first.
 */
export function refuseDuplicateObjects(
  rendered: RenderedManifest[],
  defaultNamespace: string,
): RenderedManifest[] {
  const order = sortedBy(
    rendered,
    (a, b) =>
      a.manifest.origin.file.localeCompare(b.manifest.origin.file) ||
      a.manifest.origin.line - b.manifest.origin.line,
  );
  const owner = new Map<string, RenderedManifest>();
  const refused = new Map<string, Problem>();
  for (const r of order) {
    if (r.problems.length > 0) continue;
    const clash = r.objects.find((o) => owner.has(objectKey(o)));
    if (clash) {
      const first = owner.get(objectKey(clash))!;
      const implicit =
        !r.manifest.namespace || !first.manifest.namespace
          ? ` (a manifest without metadata.namespace goes to the reconciler's namespace, ${defaultNamespace})`
          : '';
      refused.set(r.manifest.key, {
        code: 'DUPLICATE_OBJECT',
        message: `${r.manifest.key} renders ${describe(clash)}, which ${first.manifest.key} in ${first.manifest.origin.file}:${first.manifest.origin.line} already renders${implicit}: two manifests would overwrite each other; remove or rename one of them (the first one keeps applying)`,
        location: manifestLocation(r.manifest, ['metadata', 'name']),
      });
      continue;
    }
    for (const o of r.objects) owner.set(objectKey(o), r);
  }
  return rendered.map((r) => {
    const problem = refused.get(r.manifest.key);
    return problem ? fail(r, problem) : r;
  });
}

/** Every Secret a manifest's pods refer to must pass the gate, as the Secrets observe reads do. */
export async function refuseForbiddenSecretRefs(
  rendered: RenderedManifest[],
  gate: SecretGate,
): Promise<RenderedManifest[]> {
  const refsOf = (r: RenderedManifest) => (r.problems.length > 0 ? [] : secretRefsOf(r.objects));
  return checkSome(
    rendered,
    (r) => refsOf(r).length > 0,
    async (r) => {
      for (const ref of refsOf(r)) {
        try {
          const decision = await gate.decide(ref.namespace, ref.name);
          if (!decision.ok) {
            return fail(r, {
              code: 'SECRET_REFUSED',
              message: decision.reason,
              location: locateValueIn(r.manifest, ref.name),
            });
          }
        } catch (error) {
          return fail(r, problemFromError(error, 'KUBE_API', manifestLocation(r.manifest)));
        }
      }
      return r;
    },
  );
}

/**
 * The secret references of a manifest's objects, kept by its objects' list: a reused render is the same list
 * from one sync to the next, and is not walked again.
 */
const secretRefs = new WeakMap<readonly KubeObject[], Array<{ namespace: string; name: string }>>();
function secretRefsOf(objects: readonly KubeObject[]): Array<{ namespace: string; name: string }> {
  let refs = secretRefs.get(objects);
  if (!refs) {
    refs = externalSecretRefs(objects);
    secretRefs.set(objects, refs);
  }
  return refs;
}

/**
 * Each rendered manifest through `check` where `needs` says so (8 at a time), the others as they are: in a
 * steady state almost none need a check, and 10,000 of them need not each wait a turn of the event loop.
 */
async function checkSome(
  rendered: RenderedManifest[],
  needs: (r: RenderedManifest) => boolean,
  check: (r: RenderedManifest) => Promise<RenderedManifest>,
): Promise<RenderedManifest[]> {
  const indexes = rendered.flatMap((r, i) => (needs(r) ? [i] : []));
  const checked = await mapBounded(indexes, 8, (i) => check(rendered[i]!));
  const out = [...rendered];
  indexes.forEach((i, j) => {
    out[i] = checked[j]!;
  });
  return out;
}

/** Ours: our managed-by label and our instance. */
function createdByUs(object: KubeObject, instance: string): boolean {
  const labels = object.metadata.labels ?? {};
  return labels[LABELS.managedBy] === MANAGER_NAME && labels[LABELS.instance] === instance;
}

/**
 * An object about to be created (it is not among what we own) may already exist: someone else's
 * ConfigMap or DaemonSet of the same name. Server-side apply would take it over, and a later prune would
 * delete it with its owner's data. It is refused unless its owner annotated it `image-gitops.io/adopt:
 * "true"`. One GET per object to create; none in a steady state.
 */
export async function refuseForeignObjects(
  rendered: RenderedManifest[],
  live: readonly KubeObject[],
  kube: Pick<KubeApi, 'get' | 'list'>,
  instance: string,
): Promise<RenderedManifest[]> {
  const owned = new Set(live.map(objectKey));
  // Each manifest's objects to create, found once (none for most in a steady state).
  const toCreate = new Map<RenderedManifest, KubeObject[]>();
  for (const r of rendered) {
    if (r.problems.length > 0) continue;
    const created = r.objects.filter((o) => !owned.has(objectKey(o)));
    if (created.length > 0) toCreate.set(r, created);
  }
  const existingOf = await lookUpMany([...toCreate.values()].flat(), kube);
  return checkSome(
    rendered,
    (r) => toCreate.has(r),
    async (r) => {
      for (const object of r.objects) {
        if (owned.has(objectKey(object))) continue;
        let existing: KubeObject | undefined;
        try {
          existing = await existingOf(object);
        } catch (error) {
          return fail(r, problemFromError(error, 'KUBE_API', manifestLocation(r.manifest)));
        }
        if (!existing || createdByUs(existing, instance)) continue;
        if (existing.metadata.annotations?.[ADOPT_ANNOTATION] === 'true') continue;
        return fail(r, {
          code: 'OBJECT_CONFLICT',
          message: conflictMessage(object, existing, instance),
          location: manifestLocation(r.manifest, ['metadata', 'name']),
        });
      }
      return r;
    },
  );
}

/** Someone else's object, or another instance's: what to do differs (two instances on one cluster, scale-out). */
function conflictMessage(object: KubeObject, existing: KubeObject, instance: string): string {
  const labels = existing.metadata.labels ?? {};
  if (labels[LABELS.managedBy] !== MANAGER_NAME)
    return `${describe(object)} already exists and was not created by image-gitops: it is left as it is. Rename the manifest, or, if image-gitops should take it over, annotate the object ${ADOPT_ANNOTATION}="true"`;
  const other = labels[LABELS.instance] ?? '';
  return `${describe(object)} already exists and belongs to image-gitops instance "${other}", not to this one ("${instance}"): it is left as it is. Two instances cannot render one object: rename the manifest in one of them. To move it here, remove its manifest from "${other}" (which deletes it), or first annotate the object ${ADOPT_ANNOTATION}="true" (then "${other}" keeps it and this instance takes it over)`;
}

/** Above this many objects of one type to create in one namespace, one LIST replaces their GETs. */
const LIST_THRESHOLD = 20;

/**
 * How to find whether each object to create exists: a GET each, or, for a type with many objects to create
 * in one namespace (a first sync of thousands of manifests), one LIST of that type there. Never a LIST of
 * Secrets: that would read every Secret's data.
 */
async function lookUpMany(
  objects: KubeObject[],
  kube: Pick<KubeApi, 'get' | 'list'>,
): Promise<(object: KubeObject) => Promise<KubeObject | undefined>> {
  const groups = new Map<string, KubeObject[]>();
  for (const o of objects) {
    const key = `${o.apiVersion}|${o.kind}|${o.metadata.namespace ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), o]);
  }
  const listed = new Map<string, Promise<Map<string, KubeObject>>>();
  for (const [key, group] of groups) {
    const first = group[0]!;
    if (group.length <= LIST_THRESHOLD || first.kind === 'Secret') continue;
    const list = kube
      .list(first, first.metadata.namespace)
      .then((items) => new Map(items.map((item) => [item.metadata.name, item])));
    list.catch(() => undefined); // awaited (and reported) per manifest below
    listed.set(key, list);
  }
  return async (object) => {
    const list = listed.get(`${object.apiVersion}|${object.kind}|${object.metadata.namespace ?? ''}`);
    if (list) return (await list).get(object.metadata.name);
    return kube.get(object, object.metadata.namespace, object.metadata.name);
  };
}
