import fs from 'node:fs';

type PromiseFs = typeof fs.promises;

/**
 * The file system isomorphic-git reads one snapshot through, once the fetch is done: the bare cache does not
 * change while its files are read, so what isomorphic-git asks again for every object is answered from
 * memory. Per readBlob it checks that its fs returns promises (a readFile of nothing, which throws), stats
 * the gitdir, tries the loose object's file, then lists objects/pack; for 10,000 files that was most of the
 * source step's time, ahead of inflating the blobs. Made per snapshot; any write forgets what it learned.
 */
export function snapshotFs(gitdir: string): { promises: PromiseFs } {
  const notFound = Object.assign(new Error('ENOENT: no such file or directory'), { code: 'ENOENT' });
  const looseObject = new RegExp(`^${escapeRegExp(gitdir)}/objects/([0-9a-f]{2})/[0-9a-f]{38}$`);
  let listings = new Map<string, Promise<string[]>>();
  let stats = new Map<string, Promise<fs.Stats>>();
  const remember = <T>(memo: Map<string, Promise<T>>, key: string, read: () => Promise<T>) => {
    let found = memo.get(key);
    if (!found) {
      found = read();
      memo.set(key, found);
    }
    return found;
  };
  const readdir = (path: string) => remember(listings, path, () => fs.promises.readdir(path));
  const writing =
    <A extends unknown[], R>(write: (...args: A) => Promise<R>) =>
    (...args: A) => {
      listings = new Map();
      stats = new Map();
      return write(...args);
    };
  const view = {
    ...fs.promises,
    readdir,
    stat: (path: string) => remember(stats, path, () => fs.promises.stat(path)),
    readFile: async (path: string | undefined, options?: Parameters<PromiseFs['readFile']>[1]) => {
      if (path === undefined) throw notFound; // isomorphic-git's check that this fs returns promises
      const loose = looseObject.exec(path);
      // A loose object is in objects/<first two hex digits>/: no such folder, no such object.
      if (loose && !(await readdir(`${gitdir}/objects`).catch((): string[] => [])).includes(loose[1]!))
        throw notFound;
      return fs.promises.readFile(path, options);
    },
    writeFile: writing(fs.promises.writeFile),
    mkdir: writing(fs.promises.mkdir),
    rmdir: writing(fs.promises.rmdir),
    rm: writing(fs.promises.rm),
    unlink: writing(fs.promises.unlink),
    symlink: writing(fs.promises.symlink),
  };
  return { promises: view as PromiseFs };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
