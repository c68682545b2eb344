/**
 * The RegistryMirror spec. Its types are generated from `schemas/registry-mirror.schema.json`
 * (spec.generated.ts, `npm run generate:types`): the schema ajv checks is the one source of truth.
 */
export type {
  CredentialsSecretRef,
  MirrorResources,
  NodeConfigMode,
  NodesSpec,
  RegistryMirrorSpec,
  StorageSpec,
  VolumeClaimTemplate,
} from './spec.generated.js';
