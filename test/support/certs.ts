// Self-signed certificate authorities for the test bench (openssl, as an operator would make them).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Writes ca.key and ca.crt into `dir` and returns the certificate (PEM). */
export function selfSignedCa(dir: string, commonName: string, days = 2): string {
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      String(days),
      '-subj',
      `/CN=${commonName}`,
    ],
    dir,
  );
  return readFileSync(join(dir, 'ca.crt'), 'utf8');
}
