/**
 * The ImageBuild spec. Its types are generated from `schemas/image-build.schema.json` (spec.generated.ts,
 * `npm run generate:types`): the schema ajv checks is the one source of truth. The defaults live here.
 */
import type { Architecture } from './spec.generated.js';

export type {
  Architecture,
  BuildRegistrySettings,
  BuildResources,
  ImageBuildSpec,
} from './spec.generated.js';

export const DEFAULT_TAG = '{{commit}}';
export const DEFAULT_DOCKERFILE = 'Dockerfile';
export const DEFAULT_ARCHITECTURES: Architecture[] = ['amd64'];
