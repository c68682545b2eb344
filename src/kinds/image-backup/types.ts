/**
 * The ImageBackup spec. Its types are generated from `schemas/image-backup.schema.json` (spec.generated.ts,
 * `npm run generate:types`): the schema ajv checks is the one source of truth.
 */
export type { BackupRegistrySettings, CaSource, ImageBackupSpec } from './spec.generated.js';
