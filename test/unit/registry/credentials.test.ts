import assert from 'node:assert/strict';
import {
  buildAuthFile,
  credentialForHost,
  credentialsFromSecretData,
  renderAuthFileSecret,
} from '../../../src/registry/credentials.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('registry credentials from Secrets', () => {
  it('reads a dockerconfigjson Secret, normalising Docker Hub keys', () => {
    const data = {
      '.dockerconfigjson': JSON.stringify({
        auths: {
          'https://index.docker.io/v1/': { auth: b64('hubuser:hub:pass') },
          'ghcr.io': { username: 'gh', password: 'token' },
        },
      }),
    };
    const creds = credentialsFromSecretData(data, 'ghcr.io');
    assert.deepEqual(creds.get('docker.io'), { username: 'hubuser', password: 'hub:pass' });
    assert.deepEqual(credentialForHost(data, 'ghcr.io'), { username: 'gh', password: 'token' });
    assert.equal(credentialForHost(data, 'quay.io'), undefined);
  });

  it('reads a username/password Secret for the registry it is named for', () => {
    assert.deepEqual(credentialForHost({ username: 'u', password: 'p' }, 'registry-1.docker.io'), {
      username: 'u',
      password: 'p',
    });
  });

  it('refuses a Secret with neither shape, naming it', () => {
    assert.throws(
      () => credentialsFromSecretData({ token: 'x' }, 'quay.io', 'Secret ns/creds'),
      /Secret ns\/creds/,
    );
  });

  it('merges credentials into one authfile Secret, sorted by host', () => {
    const authFile = buildAuthFile(
      new Map([
        ['quay.io', { username: 'q', password: '1' }],
        ['127.0.0.1:5000', { username: 'l', password: '2' }],
      ]),
    );
    assert.deepEqual(Object.keys(authFile.auths), ['127.0.0.1:5000', 'quay.io']);
    assert.equal(authFile.auths['quay.io']?.auth, b64('q:1'));
    const secret = renderAuthFileSecret({ name: 's', namespace: 'n', authFile });
    assert.deepEqual(
      JSON.parse(Buffer.from((secret.data as Record<string, string>)['auth.json']!, 'base64').toString()),
      authFile,
    );
  });
});
