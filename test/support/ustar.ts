// A minimal ustar writer: regular files, directories and symlinks, deterministic (fixed mtime, uid 0),
// enough for one image layer.

export type TarEntry =
  | { type: 'file'; path: string; content: Buffer; mode?: number }
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'symlink'; path: string; target: string };

const BLOCK = 512;
/** 2024-01-01T00:00:00Z: fixed so the same entries always give the same bytes. */
const FIXED_MTIME = 1_704_067_200;

function writeString(header: Buffer, value: string, offset: number, length: number): void {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > length) throw new Error(`tar field too long (${length}): ${value}`);
  bytes.copy(header, offset);
}

function writeOctal(header: Buffer, value: number, offset: number, length: number): void {
  // length-1 octal digits, NUL terminated.
  writeString(header, `${value.toString(8).padStart(length - 1, '0')}\0`, offset, length);
}

/** Splits a long path into ustar's prefix (155) and name (100) fields. */
function splitPath(path: string): { name: string; prefix: string } {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: '' };
  const cut = path.lastIndexOf('/', 155);
  if (cut <= 0 || Buffer.byteLength(path.slice(cut + 1)) > 100) throw new Error(`tar path too long: ${path}`);
  return { name: path.slice(cut + 1), prefix: path.slice(0, cut) };
}

function header(entry: TarEntry, size: number): Buffer {
  const block = Buffer.alloc(BLOCK);
  const path = entry.type === 'dir' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
  const { name, prefix } = splitPath(path);
  const defaultMode = entry.type === 'file' ? 0o644 : 0o755;
  const mode = entry.type === 'symlink' ? 0o777 : (entry.mode ?? defaultMode);
  writeString(block, name, 0, 100);
  writeOctal(block, mode, 100, 8);
  writeOctal(block, 0, 108, 8); // uid
  writeOctal(block, 0, 116, 8); // gid
  writeOctal(block, size, 124, 12);
  writeOctal(block, FIXED_MTIME, 136, 12);
  block.fill(0x20, 148, 156); // checksum counts as spaces while summing
  writeString(block, entry.type === 'file' ? '0' : entry.type === 'dir' ? '5' : '2', 156, 1);
  if (entry.type === 'symlink') writeString(block, entry.target, 157, 100);
  writeString(block, 'ustar\0', 257, 6);
  writeString(block, '00', 263, 2);
  writeString(block, 'root', 265, 32);
  writeString(block, 'root', 297, 32);
  writeString(block, prefix, 345, 155);
  let sum = 0;
  for (const byte of block) sum += byte;
  writeString(block, `${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return block;
}

/** The tar archive of `entries`, in the given order, ending with two zero blocks. */
export function writeTar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const content = entry.type === 'file' ? entry.content : Buffer.alloc(0);
    parts.push(header(entry, content.length));
    if (content.length > 0) {
      parts.push(content);
      const padding = (BLOCK - (content.length % BLOCK)) % BLOCK;
      if (padding) parts.push(Buffer.alloc(padding));
    }
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}
