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
  for (const definition of KINDS) {
    if (definition.apiVersion === apiVersion && definition.kind === kind) return { definition };
    for (const alias of definition.aliases ?? []) {
      if (alias.apiVersion === apiVersion && alias.kind === kind) return { definition, alias };
    }
  }
  return undefined;
}

export function supportedKinds(): string[] {
  return KINDS.flatMap((d) => [
    `${d.apiVersion} ${d.kind}`,
    ...(d.aliases ?? []).map((a) => `${a.apiVersion} ${a.kind}`),
  ]);
}

/** The definition of a canonical kind (as manifests carry it after loading). */
export function kindDefinition(kind: string): AnyKindDefinition | undefined {
  return KINDS.find((d) => d.kind === kind);
}
