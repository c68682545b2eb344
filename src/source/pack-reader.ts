import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { inflateSync } from 'node:zlib';

/**
 * Reads objects straight from the cache's pack files with node:zlib, for the snapshot's blobs. isomorphic-git
 * inflates every object with pako, which makes a new 32 KB inflate state per object: at 10,000 files that was
 * most of reading them. Only what git's pack format v2 and index v2 say is read here; anything else (a loose
 * object, an index of another version, a pack whose checksum does not match) is left to isomorphic-git.
 */
export interface PackedObject {
  type: 'commit' | 'tree' | 'blob' | 'tag';
  object: Buffer;
}

interface Pack {
  data: Buffer;
  offsets: Map<string, number>;
  /** Objects read, by offset: a delta's base is inflated once, however many objects build on it. */
  read: Map<number, PackedObject>;
}

const TYPES = [undefined, 'commit', 'tree', 'blob', 'tag'] as const;
const OFS_DELTA = 6;
const REF_DELTA = 7;
const IDX_MAGIC = 0xff744f63;

export class PackReader {
  private constructor(private readonly packs: Pack[]) {}

  /** The packs of a bare repository whose index and checksum can be read; none when there are none. */
  static async open(gitdir: string): Promise<PackReader> {
    const dir = `${gitdir}/objects/pack`;
    const names = await fs.readdir(dir).catch((): string[] => []);
    const packs: Pack[] = [];
    for (const name of names.filter((n) => n.endsWith('.idx'))) {
      const pack = readPack(
        await fs.readFile(`${dir}/${name}`),
        await fs.readFile(`${dir}/${name.replace(/idx$/, 'pack')}`).catch(() => undefined),
      );
      if (pack) packs.push(pack);
    }
    return new PackReader(packs);
  }

  /** The object, or undefined when it is in none of the packs read (or cannot be read here). */
  read(oid: string): PackedObject | undefined {
    for (const pack of this.packs) {
      const offset = pack.offsets.get(oid);
      if (offset !== undefined) return this.readAt(pack, offset);
    }
    return undefined;
  }

  private readAt(pack: Pack, start: number): PackedObject | undefined {
    const known = pack.read.get(start);
    if (known) return known;
    const { data } = pack;
    let at = start;
    let byte = data[at++]!;
    const type = (byte >> 4) & 7;
    let size = byte & 15;
    for (let shift = 4; byte & 0x80; shift += 7) {
      byte = data[at++]!;
      size += (byte & 0x7f) * 2 ** shift;
    }
    let base: PackedObject | undefined;
    if (type === OFS_DELTA) {
      byte = data[at++]!;
      let distance = byte & 0x7f;
      while (byte & 0x80) {
        byte = data[at++]!;
        distance = (distance + 1) * 128 + (byte & 0x7f);
      }
      base = this.readAt(pack, start - distance);
    } else if (type === REF_DELTA) {
      base = this.read(data.subarray(at, at + 20).toString('hex'));
      at += 20;
    }
    const kind = TYPES[type];
    if (!base && !kind) return undefined;
    const inflated = inflate(data, at, size);
    if (inflated.length !== size) return undefined;
    const found: PackedObject = base
      ? { type: base.type, object: applyDelta(inflated, base.object) }
      : { type: kind!, object: inflated };
    pack.read.set(start, found);
    return found;
  }
}

/** The object's zlib stream, inflated to its size (a bounded slice first: most streams end well inside it). */
function inflate(data: Buffer, at: number, size: number): Buffer {
  const options = { chunkSize: Math.max(64, size + 1) };
  const bound = at + size + (size >> 10) + 64;
  if (bound < data.length) {
    try {
      return copyOf(inflateSync(data.subarray(at, bound), options));
    } catch {
      // the stream runs past the bound: inflate from the rest of the pack
    }
  }
  return copyOf(inflateSync(data.subarray(at), options));
}

/** A buffer of its own: one sliced from zlib's output chunk would keep the whole chunk alive. */
function copyOf(buffer: Buffer): Buffer {
  return buffer.byteOffset === 0 && buffer.buffer.byteLength === buffer.length ? buffer : Buffer.from(buffer);
}

/** The pack's offsets by object id, from index v2, when the pack is there and its checksum matches. */
function readPack(idx: Buffer, data: Buffer | undefined): Pack | undefined {
  if (!data || idx.length < 8 + 1024 + 40 || idx.readUInt32BE(0) !== IDX_MAGIC || idx.readUInt32BE(4) !== 2)
    return undefined;
  const count = idx.readUInt32BE(8 + 255 * 4);
  const names = 8 + 1024;
  const small = names + count * 24;
  const large = small + count * 4;
  const packSha = idx.subarray(idx.length - 40, idx.length - 20);
  const trailer = data.subarray(data.length - 20);
  const actual = createHash('sha1')
    .update(data.subarray(0, data.length - 20))
    .digest();
  if (!packSha.equals(trailer) || !actual.equals(trailer)) return undefined;
  const offsets = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const oid = idx.subarray(names + i * 20, names + i * 20 + 20).toString('hex');
    const value = idx.readUInt32BE(small + i * 4);
    offsets.set(
      oid,
      value & 0x80000000 ? Number(idx.readBigUInt64BE(large + (value & 0x7fffffff) * 8)) : value,
    );
  }
  return { data, offsets, read: new Map() };
}

/** Git's delta: the target's size, then copies from the base and inserts of new bytes. */
function applyDelta(delta: Buffer, base: Buffer): Buffer {
  let at = 0;
  const varint = () => {
    let value = 0;
    let byte: number;
    let shift = 0;
    do {
      byte = delta[at++]!;
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return value;
  };
  if (varint() !== base.length) throw new Error('delta base size does not match');
  const out = Buffer.allocUnsafe(varint());
  let written = 0;
  while (at < delta.length) {
    const op = delta[at++]!;
    if (op & 0x80) {
      let offset = 0;
      let size = 0;
      for (let bit = 0; bit < 4; bit++) if (op & (1 << bit)) offset += delta[at++]! * 2 ** (8 * bit);
      for (let bit = 0; bit < 3; bit++) if (op & (0x10 << bit)) size += delta[at++]! * 2 ** (8 * bit);
      if (size === 0) size = 0x10000;
      if (offset + size > base.length) throw new Error('delta copies past its base');
      written += base.copy(out, written, offset, offset + size);
    } else if (op > 0) {
      written += delta.copy(out, written, at, at + op);
      at += op;
    } else {
      throw new Error('delta has an unknown instruction');
    }
  }
  if (written !== out.length) throw new Error('delta target size does not match');
  return out;
}
