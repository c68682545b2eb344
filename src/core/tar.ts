import { Header, Pax } from 'tar';

/**
 * Tar archives built in memory, byte for byte the same for the same entries. node-tar encodes each header
 * (ustar, with a PAX extended header first where ustar cannot hold the path or link, e.g. a non-ASCII name);
 * this module only lays the blocks out. Nothing comes from the machine: times, owners and modes come from
 * the entries and the stamp, and the entries are written in the order given.
 */

export type TarEntry =
  | { type: 'file'; path: string; content: Uint8Array; mode?: number }
  | { type: 'directory'; path: string; mode?: number }
  | { type: 'symlink'; path: string; target: string };

/** What every entry of one archive carries alike. */
export interface TarStamp {
  mtime: Date;
  /** User and group name (uid and gid are always 0); '' for none. */
  owner: string;
}

const BLOCK = 512;
const EPOCH: TarStamp = { mtime: new Date(0), owner: '' };
const DEFAULT_MODE = { file: 0o644, directory: 0o755, symlink: 0o777 } as const;
const TYPE_NAME = { file: 'File', directory: 'Directory', symlink: 'SymbolicLink' } as const;

function entryPath(entry: TarEntry): string {
  return entry.type === 'directory' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
}

function headerBlocks(entry: TarEntry, size: number, stamp: TarStamp): Buffer[] {
  const fields = {
    path: entryPath(entry),
    mode: entry.type === 'symlink' ? DEFAULT_MODE.symlink : (entry.mode ?? DEFAULT_MODE[entry.type]),
    uid: 0,
    gid: 0,
    size,
    mtime: stamp.mtime,
    type: TYPE_NAME[entry.type],
    uname: stamp.owner,
    gname: stamp.owner,
    ...(entry.type === 'symlink' ? { linkpath: entry.target } : {}),
  };
  const block = Buffer.alloc(BLOCK);
  const needPax = new Header(fields).encode(block);
  if (!needPax) return [block];
  const pax = new Pax({
    path: fields.path,
    mtime: stamp.mtime,
    ...(fields.linkpath !== undefined ? { linkpath: fields.linkpath } : {}),
  });
  return [pax.encode(), block];
}

function padding(length: number): Buffer {
  return Buffer.alloc((BLOCK - (length % BLOCK)) % BLOCK);
}

/** The archive of `entries`, in the given order, ending with two zero blocks. */
export function writeTar(entries: readonly TarEntry[], stamp: TarStamp = EPOCH): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const content = entry.type === 'file' ? Buffer.from(entry.content) : Buffer.alloc(0);
    parts.push(...headerBlocks(entry, content.length, stamp), content, padding(content.length));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

/** Bytes one file takes in the archive: its header blocks (a PAX header too, where needed), its padded content. */
export function tarFileSize(path: string, contentLength: number): number {
  const headers = headerBlocks({ type: 'file', path, content: new Uint8Array() }, contentLength, EPOCH);
  return (
    headers.reduce((sum, block) => sum + block.length, 0) + contentLength + padding(contentLength).length
  );
}

/**
 * Whether `path` fits ustar's own fields, name (100 bytes) and prefix (155 bytes) split at a '/', counted
 * in UTF-8 bytes. A longer path is written with a PAX header; callers that bound paths use this.
 */
export function fitsUstarPath(path: string): boolean {
  if (Buffer.byteLength(path) <= 100) return true;
  for (let cut = path.indexOf('/'); cut > 0; cut = path.indexOf('/', cut + 1)) {
    const name = path.slice(cut + 1);
    if (Buffer.byteLength(path.slice(0, cut)) <= 155 && Buffer.byteLength(name) <= 100 && name !== '')
      return true;
  }
  return false;
}
