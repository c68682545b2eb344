import assert from 'node:assert/strict';
import { containerdHostsToml } from '../../../src/kinds/registry-mirror/hosts-toml.js';
import { parseUpstream } from '../../../src/kinds/registry-mirror/upstream.js';

describe('containerd hosts.toml', () => {
  it('tries the mirror for pull and resolve, then falls back to the upstream server', () => {
    const text = containerdHostsToml({
      serverUrl: 'https://quay.io',
      mirrorUrl: 'http://10.96.0.20:5000',
      marker: '# ours',
    });
    assert.equal(
      text,
      [
        '# ours',
        'server = "https://quay.io"',
        '',
        '[host."http://10.96.0.20:5000"]',
        '  capabilities = ["pull", "resolve"]',
        '',
      ].join('\n'),
    );
  });

  it('names the CA file of a TLS mirror', () => {
    const text = containerdHostsToml({
      serverUrl: 'https://registry-1.docker.io',
      mirrorUrl: 'https://10.96.0.20:443',
      caFile: '/etc/containerd/certs.d/docker.io/registry-mirror-hub-ca.crt',
      marker: '# ours',
    });
    assert.match(
      text,
      /\[host\."https:\/\/10\.96\.0\.20:443"\]\n {2}capabilities = \["pull", "resolve"\]\n {2}ca = "\/etc\/containerd\/certs\.d\/docker\.io\/registry-mirror-hub-ca\.crt"\n$/,
    );
  });
});

describe('upstream addresses', () => {
  it('writes Docker Hub as the docker.io folder with registry-1.docker.io as the server', () => {
    for (const written of [
      'docker.io',
      'https://index.docker.io',
      'registry-1.docker.io/',
      'hub.docker.io',
    ]) {
      assert.deepEqual(
        parseUpstream(written),
        {
          host: 'docker.io',
          serverUrl: 'https://registry-1.docker.io',
          certsDirName: 'docker.io',
          isDockerHub: true,
        },
        written,
      );
    }
  });

  it('keeps the port in the folder name and defaults to https', () => {
    assert.deepEqual(parseUpstream('Registry.Example.com:5000'), {
      host: 'registry.example.com:5000',
      serverUrl: 'https://registry.example.com:5000',
      certsDirName: 'registry.example.com:5000',
      isDockerHub: false,
    });
    assert.equal(parseUpstream('http://10.0.0.5:5000')?.serverUrl, 'http://10.0.0.5:5000');
  });

  it('refuses paths and other schemes', () => {
    assert.equal(parseUpstream('https://quay.io/some/path'), undefined);
    assert.equal(parseUpstream('ftp://quay.io'), undefined);
    assert.equal(parseUpstream('quay.io; rm -rf /'), undefined);
  });
});
