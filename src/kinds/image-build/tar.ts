/**
 * The archive of a packed build context: its files sorted by path, each parent folder (mode 0755) before
 * them so that any tar (GNU, busybox) recreates it, files 0644, mtime 0, uid and gid 0 without names. The
 * same files always give the same bytes, and so the same content-hashed ConfigMap and Job names.
 */
import { type TarEntry, writeTar } from '../../core/tar.js';

export interface TarFile {
  /** Relative path with '/' separators, no '..' segment. */
  path: string;
  content: Uint8Array;
}

function byPath(a: { path: string }, b: { path: string }): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

/** Every parent folder of the files, sorted. */
function parentFolders(files: readonly TarFile[]): string[] {
  const folders = new Set<string>();
  for (const file of files) {
    const parts = file.path.split('/');
    for (let i = 1; i < parts.length; i++) folders.add(`${parts.slice(0, i).join('/')}/`);
  }
  return [...folders].sort();
}

/** The context archive of `files` (in any order): folders first, then the files sorted by path. */
export function writeContextArchive(files: readonly TarFile[]): Buffer {
  const sorted = [...files].sort(byPath);
  const entries: TarEntry[] = [
    ...parentFolders(sorted).map((path): TarEntry => ({ type: 'directory', path })),
    ...sorted.map((file): TarEntry => ({ type: 'file', path: file.path, content: file.content })),
  ];
  return writeTar(entries);
}
