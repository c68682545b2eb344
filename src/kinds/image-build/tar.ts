/**
 * A minimal, deterministic ustar writer for packed build contexts: regular files and their parent folders,
 * fixed mtime/uid/gid, so the same files always give the same bytes (and the same content-hashed names).
 */

const BLOCK = 512;

export interface TarFile {
  /** Relative path with '/' separators, no '..' segment. */
  path: string;
  content: Uint8Array;
}

/** Splits a path into ustar's prefix (155 bytes) and name (100 bytes) fields, or undefined when it cannot fit. */
export function splitUstarPath(path: string): { name: string; prefix: string } | undefined {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: '' };
  for (let cut = path.indexOf('/'); cut > 0; cut = path.indexOf('/', cut + 1)) {
    const prefix = path.slice(0, cut);
    const name = path.slice(cut + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name !== '')
      return { name, prefix };
  }
  return undefined;
}

function writeField(block: Buffer, value: string, offset: number, length: number): void {
  Buffer.from(value, 'utf8').copy(block, offset, 0, length);
}

function writeOctal(block: Buffer, value: number, offset: number, length: number): void {
  writeField(block, `${value.toString(8).padStart(length - 1, '0')}\0`, offset, length);
}

function header(path: string, size: number, directory: boolean): Buffer {
  const split = splitUstarPath(path);
  if (!split) throw new Error(`path too long for a tar header: ${path}`);
  const block = Buffer.alloc(BLOCK);
  writeField(block, split.name, 0, 100);
  writeOctal(block, directory ? 0o755 : 0o644, 100, 8);
  writeOctal(block, 0, 108, 8);
  writeOctal(block, 0, 116, 8);
  writeOctal(block, size, 124, 12);
  writeOctal(block, 0, 136, 12);
  block.fill(0x20, 148, 156);
  writeField(block, directory ? '5' : '0', 156, 1);
  writeField(block, 'ustar\0', 257, 6);
  writeField(block, '00', 263, 2);
  writeField(block, split.prefix, 345, 155);
  let sum = 0;
  for (const byte of block) sum += byte;
  writeField(block, `${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return block;
}

/** Bytes one file takes in the archive: a header block plus its content padded to whole blocks. */
export function tarEntrySize(contentLength: number): number {
  return BLOCK + Math.ceil(contentLength / BLOCK) * BLOCK;
}

/** Every parent folder of the files, so that any tar (GNU, busybox) recreates them with a fixed mode. */
function parentFolders(files: readonly TarFile[]): string[] {
  const folders = new Set<string>();
  for (const file of files) {
    const parts = file.path.split('/');
    for (let i = 1; i < parts.length; i++) folders.add(`${parts.slice(0, i).join('/')}/`);
  }
  return [...folders].sort();
}

/** The archive of `files` (sorted by path, folders first) ending with two zero blocks. */
export function writeTar(files: readonly TarFile[]): Buffer {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const parts: Buffer[] = parentFolders(sorted).map((folder) => header(folder, 0, true));
  for (const file of sorted) {
    parts.push(header(file.path, file.content.length, false));
    parts.push(Buffer.from(file.content));
    const padding = (BLOCK - (file.content.length % BLOCK)) % BLOCK;
    if (padding) parts.push(Buffer.alloc(padding));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}
