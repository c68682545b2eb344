// Self-signed certificate authorities for the test bench (openssl, as an operator would make them).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
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

/**
 * A key and a certificate signed by the CA in `dir` (see selfSignedCa), with the given X.509 extensions;
 * written as `<name>.key` and `<name>.crt`, whose paths are returned.
 */
export function signedCertificate(
  dir: string,
  name: string,
  subject: string,
  extensions: string,
): { cert: string; key: string } {
  writeFileSync(join(dir, `${name}.ext`), `${extensions}\n`);
  openssl(
    [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      subject,
    ],
    dir,
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    ],
    dir,
  );
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}
