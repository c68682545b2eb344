import {
  findKind as findIn,
  type LoadOptions,
  readManifests,
  supportedKinds as supportedIn,
} from '../manifests/load.js';
import type { SchemaValidator } from '../manifests/schema-validator.js';
import type { LoadedManifests, SourceFile } from '../manifests/types.js';
import { imageBackupKind } from './image-backup/index.js';
import { imageBuildKind } from './image-build/index.js';
import { imagePrepullKind } from './image-prepull/index.js';
import { imageSyncKind } from './image-sync/index.js';
import { registryMirrorKind } from './registry-mirror/index.js';
import type { AnyKindDefinition, KindAlias } from './types.js';

/**
 * Every manifest kind the product supports, in one place. Adding a kind is one folder under
 * src/kinds, one schema under schemas/, and one line here; the engine does not change.
 */
export const KINDS: AnyKindDefinition[] = [
  imageSyncKind,
  registryMirrorKind,
  imagePrepullKind,
  imageBuildKind,
  imageBackupKind,
];

export interface KindMatch {
  definition: AnyKindDefinition;
  /** Set when the document is written in another tool's format. */
  alias?: KindAlias<unknown>;
}

/** The definition for a document's apiVersion and kind, or undefined when nothing matches. */
export function findKind(apiVersion: string, kind: string): KindMatch | undefined {
  return findIn(KINDS, apiVersion, kind);
}

export function supportedKinds(): string[] {
  return supportedIn(KINDS);
}

/** The repo's files read as manifests of the kinds registered here (src/manifests/load.ts). */
export function loadManifests(
  files: readonly SourceFile[],
  validator?: SchemaValidator,
  options?: LoadOptions,
): LoadedManifests {
  return readManifests(files, KINDS, validator, options);
}

/** The definition of a canonical kind (as manifests carry it after loading). */
export function kindDefinition(kind: string): AnyKindDefinition | undefined {
  return KINDS.find((d) => d.kind === kind);
}
