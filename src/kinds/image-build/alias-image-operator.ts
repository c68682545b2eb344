/**
 * image-operator's `buildah.io/v1alpha1 ImageBuilder`, read as an ImageBuild: `source` is an inline
 * Dockerfile, `architecture: both` a two-architecture image index, `image.version` the tag. Pure.
 */
import type { ResourceSpec } from '../../config/settings.js';
import { awsIrsaRegistries } from '../../registry/ecr.js';
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
  // useAwsIRSA: the push registry's credentials are an ECR token from the reconciler's AWS identity.
  const irsa = awsIrsaRegistries([spec.image]);
  if (irsa.length > 0) converted.registries = irsa;
  if (spec.resources) converted.resources = spec.resources;
  return converted;
}
