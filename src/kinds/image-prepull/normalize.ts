import type { ResourceSpec } from '../../config/settings.js';
import { parseDuration } from '../../core/duration.js';
import {
  type PrepullContainerImage,
  parseImagesString,
  type SpecProblem,
  toContainerImages,
} from './images.js';
import type { ImagePrepullSpec } from './types.js';

/** kubernetes-image-puller's defaults: 10Mi/20Mi memory, 50m/200m CPU per cached image. */
export const DEFAULT_PREPULL_RESOURCES: Required<ResourceSpec> = {
  requests: { cpu: '50m', memory: '10Mi' },
  limits: { cpu: '200m', memory: '20Mi' },
};

/** An ImagePrepull spec with string forms parsed and defaults filled in. */
export interface NormalizedPrepull {
  daemonSetName?: string;
  containers: PrepullContainerImage[];
  resources: Required<ResourceSpec>;
  nodeSelector?: Record<string, string>;
  affinity?: Record<string, unknown>;
  tolerations?: Record<string, unknown>[];
  imagePullSecrets: string[];
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  sleepImage?: string;
  namespace?: string;
  annotations?: Record<string, string>;
  /** Milliseconds an unhealthy DaemonSet is left alone before its pods are re-created; undefined: never. */
  recreateUnhealthyAfterMs?: number;
}

/** kubernetes-image-puller's CACHING_INTERVAL_HOURS default. */
export const DEFAULT_RECREATE_UNHEALTHY_AFTER = '1h';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JSON setting as kubernetes-image-puller took it; `{}` / `[]` / blank mean unset. */
function parseJsonSetting(text: string, field: string, setting: string, problems: SpecProblem[]): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    problems.push({ field, message: `${setting} is not valid JSON (${(error as Error).message}): ${text}` });
    return undefined;
  }
}

function nodeSelector(spec: ImagePrepullSpec, problems: SpecProblem[]): Record<string, string> | undefined {
  const field = '/spec/nodeSelector';
  const raw =
    typeof spec.nodeSelector === 'string'
      ? parseJsonSetting(spec.nodeSelector, field, 'NODE_SELECTOR', problems)
      : spec.nodeSelector;
  if (raw === undefined) return undefined;
  if (!isPlainObject(raw) || !Object.values(raw).every((v) => typeof v === 'string')) {
    problems.push({
      field,
      message: 'NODE_SELECTOR must be a JSON object of strings, e.g. {"disktype":"ssd"}',
    });
    return undefined;
  }
  return Object.keys(raw).length > 0 ? (raw as Record<string, string>) : undefined;
}

function affinity(spec: ImagePrepullSpec, problems: SpecProblem[]): Record<string, unknown> | undefined {
  const field = '/spec/affinity';
  const raw =
    typeof spec.affinity === 'string'
      ? parseJsonSetting(spec.affinity, field, 'AFFINITY', problems)
      : spec.affinity;
  if (raw === undefined) return undefined;
  if (!isPlainObject(raw)) {
    problems.push({ field, message: 'AFFINITY must be a JSON object, e.g. {"nodeAffinity":{...}}' });
    return undefined;
  }
  return Object.keys(raw).length > 0 ? raw : undefined;
}

function tolerations(spec: ImagePrepullSpec, problems: SpecProblem[]): Record<string, unknown>[] | undefined {
  const field = '/spec/tolerations';
  const raw =
    typeof spec.tolerations === 'string'
      ? parseJsonSetting(spec.tolerations, field, 'TOLERATIONS', problems)
      : spec.tolerations;
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw) || !raw.every(isPlainObject)) {
    problems.push({
      field,
      message: 'TOLERATIONS must be a JSON array of objects, e.g. [{"operator":"Exists"}]',
    });
    return undefined;
  }
  return raw.length > 0 ? raw : undefined;
}

function annotations(spec: ImagePrepullSpec, problems: SpecProblem[]): Record<string, string> | undefined {
  const field = '/spec/daemonSetAnnotations';
  const raw =
    typeof spec.daemonSetAnnotations === 'string'
      ? parseJsonSetting(spec.daemonSetAnnotations, field, 'DAEMONSET_ANNOTATIONS', problems)
      : spec.daemonSetAnnotations;
  if (raw === undefined) return undefined;
  if (!isPlainObject(raw) || !Object.values(raw).every((v) => typeof v === 'string')) {
    problems.push({
      field,
      message: 'DAEMONSET_ANNOTATIONS must be a JSON object of strings, e.g. {"team":"tools"}',
    });
    return undefined;
  }
  return Object.keys(raw).length > 0 ? (raw as Record<string, string>) : undefined;
}

/** `30m`, `2h` (the schema allows minutes and hours) or `never`, in the one duration grammar, as milliseconds. */
export function recreateBoundMs(text: string | undefined): number | undefined {
  const value = text ?? DEFAULT_RECREATE_UNHEALTHY_AFTER;
  return value === 'never' ? undefined : parseDuration(value);
}

const SECRET_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function pullSecrets(spec: ImagePrepullSpec, problems: SpecProblem[]): string[] {
  const raw = spec.imagePullSecrets;
  if (raw === undefined) return [];
  const list = typeof raw === 'string' ? raw.split(';') : raw;
  const names = list.map((name) => name.trim()).filter((name) => name !== '');
  for (const name of names.filter((n) => !SECRET_NAME.test(n))) {
    problems.push({
      field: '/spec/imagePullSecrets',
      message: `"${name}" is not a Secret name (IMAGE_PULL_SECRETS separates names with ";")`,
    });
  }
  return names.filter((n) => SECRET_NAME.test(n));
}

/** Parses the string forms and fills defaults; `problems` lists what a user must fix (empty when valid). */
export function normalizePrepull(spec: ImagePrepullSpec): {
  prepull: NormalizedPrepull;
  problems: SpecProblem[];
} {
  const problems: SpecProblem[] = [];
  const images =
    typeof spec.images === 'string' ? parseImagesString(spec.images) : { images: spec.images, problems: [] };
  problems.push(...images.problems);
  const { containers, problems: nameProblems } = toContainerImages(images.images);
  problems.push(...nameProblems);
  if (typeof spec.images !== 'string' && spec.images.length === 0) {
    problems.push({ field: '/spec/images', message: 'list at least one image' });
  }
  const prepull: NormalizedPrepull = {
    containers,
    resources: {
      requests: { ...DEFAULT_PREPULL_RESOURCES.requests, ...spec.resources?.requests },
      limits: { ...DEFAULT_PREPULL_RESOURCES.limits, ...spec.resources?.limits },
    },
    imagePullSecrets: pullSecrets(spec, problems),
    imagePullPolicy: spec.imagePullPolicy ?? 'Always',
  };
  const selector = nodeSelector(spec, problems);
  if (selector) prepull.nodeSelector = selector;
  const nodeAffinity = affinity(spec, problems);
  if (nodeAffinity) prepull.affinity = nodeAffinity;
  const toleration = tolerations(spec, problems);
  if (toleration) prepull.tolerations = toleration;
  if (spec.daemonSetName) prepull.daemonSetName = spec.daemonSetName;
  if (spec.sleepImage) prepull.sleepImage = spec.sleepImage;
  if (spec.namespace) prepull.namespace = spec.namespace;
  const daemonSetAnnotations = annotations(spec, problems);
  if (daemonSetAnnotations) prepull.annotations = daemonSetAnnotations;
  const bound = recreateBoundMs(spec.recreateUnhealthyAfter);
  if (bound !== undefined) prepull.recreateUnhealthyAfterMs = bound;
  return { prepull, problems };
}
