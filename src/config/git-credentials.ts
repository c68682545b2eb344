import { readFileSync } from 'node:fs';
import { setting } from './settings-schema.js';

/**
 * Git credentials, read from files (mounted Secrets) or the environment; never logged. A token goes as
 * HTTP basic auth (GitHub, GitLab and Gitea accept a token as the password) or as a bearer header.
 */
export interface GitCredentials {
  username?: string;
  password?: string;
  token?: string;
  scheme?: 'basic' | 'bearer';
}

function fromFileOrEnv(env: Record<string, string | undefined>, name: string): string | undefined {
  const file = env[`${name}_FILE`];
  if (file) return readFileSync(file, 'utf8').trim();
  const value = env[name];
  return value ? value : undefined;
}

export function gitCredentialsFromEnv(env: Record<string, string | undefined>): GitCredentials | undefined {
  const username = fromFileOrEnv(env, 'GIT_USERNAME');
  const password = fromFileOrEnv(env, 'GIT_PASSWORD');
  const token = fromFileOrEnv(env, 'GIT_TOKEN');
  if (!username && !password && !token) return undefined;
  const scheme = setting(env, 'GIT_AUTH_SCHEME');
  return { username, password, token, scheme };
}
