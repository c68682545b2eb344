/**
 * The ImageSync spec. Its types are generated from `schemas/image-sync.schema.json` (spec.generated.ts,
 * `npm run generate:types`): the schema ajv checks is the one source of truth.
 */
export type {
  CaSource,
  ImageSyncSpec,
  NewestRule,
  RegistrySettings,
  SyncMode,
  TagSelector,
} from './spec.generated.js';
