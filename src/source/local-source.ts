import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { posix } from 'node:path';
import type { CommitInfo } from '../core/commit.js';
import type { Problem } from '../core/errors.js';
import { SUBMODULE_REASON } from './git-source.js';
import type { IgnoredFile, ManifestSource, SourceFile, SourceSnapshot } from './types.js';

/**
 * A folder as a source, for the CLI in a pull request's checkout: the files as they are on disk, and the
 * commit of HEAD when the folder is in a Git work tree (marked `+dirty` when it has changes).
 */
export class LocalSource implements ManifestSource {
  constructor(private readonly dir: string) {}

  private headCommit(): CommitInfo {
    try {
      const git = (args: string[]) =>
        execFileSync('git', ['-C', this.dir, ...args], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        }).trim();
      const [sha, author, email, date, ...message] = git([
        'log',
        '-1',
        '--format=%H%n%an%n%ae%n%aI%n%B',
      ]).split('\n');
      const dirty = git(['status', '--porcelain', '--', '.']) !== '';
      return {
        sha: `${sha}${dirty ? '+dirty' : ''}`,
        author: author ?? '',
        authorEmail: email,
        date: date ?? '',
        message: message.join('\n').trim(),
      };
    } catch {
      return {
        sha: 'local',
        author: process.env.USER ?? 'local',
        date: new Date().toISOString(),
        message: 'local folder',
      };
    }
  }

  async resolveRemoteCommit(): Promise<string> {
    return this.headCommit().sha;
  }

  async snapshotAt(): Promise<SourceSnapshot> {
    const { files, problems, ignored } = await readLocalFiles(this.dir);
    return { commit: this.headCommit(), fetched: false, files, problems, ignored };
  }
}

/** Reads a local folder as a source (for `validate <dir>`): the same bounds and symlink rule as Git. */
export async function readLocalFiles(
  root: string,
  maxFileBytes = 1024 * 1024,
): Promise<{ files: SourceFile[]; problems: Problem[]; ignored: IgnoredFile[] }> {
  const files: SourceFile[] = [];
  const problems: Problem[] = [];
  const ignored: IgnoredFile[] = [];
  const realRoot = await fs.promises.realpath(root);
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await fs.promises.readdir(dir, { withFileTypes: true })) {
      if (entry.name === '.git') continue;
      const full = posix.join(dir, entry.name);
      const rel = posix.relative(root, full);
      if (entry.isDirectory()) {
        // A checked-out submodule (or nested repository) has its own .git: the sync does not read it.
        if (fs.existsSync(posix.join(full, '.git'))) ignored.push({ file: rel, reason: SUBMODULE_REASON });
        else await walk(full);
        continue;
      }
      let real: string;
      try {
        real = await fs.promises.realpath(full);
      } catch {
        problems.push({
          code: 'SYMLINK_OUTSIDE',
          message: 'symlink points at nothing; it is ignored',
          location: { file: rel },
        });
        continue;
      }
      if (real !== realRoot && !real.startsWith(`${realRoot}/`)) {
        problems.push({
          code: 'SYMLINK_OUTSIDE',
          message: 'symlink leaves the manifests folder; it is ignored',
          location: { file: rel },
        });
        continue;
      }
      const stat = await fs.promises.stat(real);
      if (!stat.isFile()) continue;
      if (stat.size > maxFileBytes) {
        problems.push({
          code: 'FILE_TOO_LARGE',
          message: `file is ${stat.size} bytes, over the ${maxFileBytes}-byte bound; it is ignored`,
          location: { file: rel },
        });
        continue;
      }
      const bytes = await fs.promises.readFile(real);
      files.push({ path: rel, content: bytes.toString('utf8'), bytes });
    }
  };
  await walk(root);
  return { files, problems, ignored };
}
