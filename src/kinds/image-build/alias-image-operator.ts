/**
 * image-operator's `buildah.io/v1alpha1 ImageBuilder`, read as an ImageBuild: `source` is an inline
 * Dockerfile, `architecture: both` a two-architecture image index, `image.version` the tag. Pure.
 */
import type { ResourceSpec } from '../../config/settings.js';
import type { Architecture, ImageBuildSpec } from './types.js';

interface ImageBuilderSpec {
  architecture?: 'arm64' | 'amd64' | 'both';
  image: { name: string; version: string; useAwsIRSA?: boolean };
  source: string;
  resources?: ResourceSpec;
}

function architectures(value: ImageBuilderSpec['architecture']): Architecture[] {
  if (value === 'both') return ['amd64', 'arm64'];
  return [value ?? 'amd64'];
}

export function convertImageOperatorImageBuilder(document: Record<string, unknown>): ImageBuildSpec {
  const spec = document.spec as ImageBuilderSpec;
  const converted: ImageBuildSpec = {
    image: spec.image.name,
    tag: spec.image.version,
    inline: spec.source,
    architectures: architectures(spec.architecture),
  };
  // useAwsIRSA: credentials come from `registries` Secrets (e.g. refreshed by an ECR credential helper).
  if (spec.resources) converted.resources = spec.resources;
  return converted;
}
