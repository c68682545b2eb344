/**
 * What is copied where: the effective mode, the source reference of each copy and the destination it goes to
 * (templated from the source). Pure.
 */
import { ImageGitopsError } from '../../core/errors.js';
import { type CopyPair, digestTag } from '../../registry/copy-pair.js';
import { type ImageReference, isValidTag, parseImageReference } from '../../registry/references.js';
import type { ImageSyncSpec, SyncMode } from './spec.js';

export type { CopyPair } from '../../registry/copy-pair.js';

export function effectiveMode(spec: ImageSyncSpec): SyncMode {
  if (spec.mode) return spec.mode;
  if (spec.tags) return 'OnceByTag';
  if (spec.schedule) return 'Recurrent';
  return 'OneShot';
}

export function sourceRepository(spec: ImageSyncSpec): ImageReference {
  const parsed = parseImageReference(spec.source.image);
  return { registry: parsed.registry, repository: parsed.repository };
}

/** The one tag or digest of a manifest without a tag selector (default `latest`, as docker pull does). */
export function singleSourceReference(spec: ImageSyncSpec): string {
  const parsed = parseImageReference(spec.source.image);
  return spec.source.digest ?? spec.source.tag ?? parsed.digest ?? parsed.tag ?? 'latest';
}

/** Replaces `{{ name }}` placeholders; an unknown name is an error that lists the known ones. */
export function renderTemplate(template: string, vars: Record<string, string>): string {
  return template.replace(/\{\{\s*([a-zA-Z_]+)\s*\}\}/g, (_all, name: string) => {
    const value = vars[name];
    if (value === undefined) {
      throw new ImageGitopsError(
        'INVALID_SPEC',
        `unknown template variable {{${name}}}; known: ${Object.keys(vars)
          .map((k) => `{{${k}}}`)
          .join(', ')}`,
      );
    }
    return value;
  });
}

/** The copy of one source tag (or digest): where from, where to. */
export function copyPairFor(spec: ImageSyncSpec, sourceRef: string): CopyPair {
  const repo = sourceRepository(spec);
  const isDigest = sourceRef.startsWith('sha256:');
  const tag = isDigest ? digestTag(sourceRef) : sourceRef;
  const vars = {
    tag,
    registry: repo.registry,
    repository: repo.repository,
    name: repo.repository.split('/').pop() ?? repo.repository,
  };
  const destinationImage = parseImageReference(renderTemplate(spec.destination.image, vars));
  const destinationTag = renderTemplate(spec.destination.tag ?? '{{tag}}', vars);
  if (!isValidTag(destinationTag)) {
    throw new ImageGitopsError(
      'INVALID_SPEC',
      `destination tag "${destinationTag}" (from "${sourceRef}") is not a valid tag`,
    );
  }
  const source: ImageReference = isDigest ? { ...repo, digest: sourceRef } : { ...repo, tag: sourceRef };
  return {
    sourceRef,
    source,
    destination: {
      registry: destinationImage.registry,
      repository: destinationImage.repository,
      tag: destinationTag,
    },
  };
}
