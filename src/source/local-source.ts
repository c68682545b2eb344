import { execFileSync } from 'node:child_process';
import type { CommitInfo } from '../core/commit.js';
import { readLocalFiles, type SourceSnapshot } from './git-source.js';

/**
 * A folder as a source, for the CLI in a pull request's checkout: the files as they are on disk, and the
 * commit of HEAD when the folder is in a Git work tree (marked `+dirty` when it has changes).
 */
export class LocalSource {
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
