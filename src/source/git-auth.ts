import type { GitAuth } from 'isomorphic-git';
import type { GitCredentials } from '../config/git-credentials.js';

export type { GitCredentials } from '../config/git-credentials.js';

export function toGitAuth(credentials: GitCredentials): GitAuth {
  if (credentials.token && credentials.scheme === 'bearer') {
    return { headers: { Authorization: `Bearer ${credentials.token}` } };
  }
  if (credentials.token)
    return { username: credentials.username ?? 'x-access-token', password: credentials.token };
  return { username: credentials.username ?? '', password: credentials.password ?? '' };
}

/** A URL fit for logs and status: credentials embedded in it are removed. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//');
  }
}
