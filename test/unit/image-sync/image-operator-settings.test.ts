import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS, type Settings, settingsFromEnv } from '../../../src/config/settings.js';
import { jobCommand } from '../../../src/jobs/job-template.js';
import { observeRegistryAccess } from '../../../src/kinds/image-sync/observe.js';
import { imageOperatorSides } from '../../../src/kinds/image-sync/operator-sides.js';
import { renderImageSync } from '../../../src/kinds/image-sync/render.js';
import type { ImageSyncSpec } from '../../../src/kinds/image-sync/spec.js';
import type { ObserveContext } from '../../../src/kinds/types.js';
import type { Manifest } from '../../../src/manifests/types.js';
import { observed } from './fixtures.js';

// CREDS_* and DISABLE_*_TLS_VERIFICATION as image-operator applies them: to the source and the destination of
// every Image. Here they reach the Job through the mounted authfile, never its arguments.
const SPEC: ImageSyncSpec = {
  source: { image: 'quay.io/team/app', tag: '1.0' },
  destination: { image: 'registry.local:5000/team/app' },
  mode: 'OneShot',
};
const ENV = {
  CREDS_SOURCE_USERNAME: 'robot',
  CREDS_SOURCE_PASSWORD: 'src-pass',
  CREDS_DESTINATION_USERNAME: 'pusher',
  CREDS_DESTINATION_PASSWORD: 'dest-pass',
  DISABLE_DEST_TLS_VERIFICATION: 'true',
};

function manifest(apiVersion: string): Manifest<ImageSyncSpec> {
  return {
    key: 'ImageSync/images/app',
    kind: 'ImageSync',
    name: 'app',
    namespace: 'images',
    spec: SPEC,
    origin: {
      file: 'app.yaml',
      line: 1,
      apiVersion,
      kind: apiVersion.startsWith('skopeo') ? 'Image' : 'ImageSync',
    },
  };
}

function observeContext(settings: Settings): ObserveContext {
  const none = () => Promise.reject(new Error('no Secret is read: the credentials come from the settings'));
  return { namespace: 'images', settings, live: [], readSecret: none, listObjects: none };
}

async function authFileOf(apiVersion: string, settings: Settings) {
  const sides = imageOperatorSides(apiVersion, settings);
  const { access, files } = await observeRegistryAccess(SPEC, observeContext(settings), 'images', sides);
  return { access, auths: files.authFile?.auths ?? {} };
}

const decoded = (auth: { auth: string } | undefined) => Buffer.from(auth?.auth ?? '', 'base64').toString();

describe("image-operator's CREDS_* and DISABLE_*_TLS_VERIFICATION", () => {
  const settings = settingsFromEnv(ENV);

  it("give an Image's source and destination their credentials, in the authfile", async () => {
    const { access, auths } = await authFileOf('skopeo.io/v1alpha1', settings);
    assert.equal(decoded(auths['quay.io']), 'robot:src-pass');
    assert.equal(decoded(auths['registry.local:5000']), 'pusher:dest-pass');
    assert.equal(access.get('quay.io')?.tlsVerify, true);
    assert.equal(access.get('registry.local:5000')?.tlsVerify, false);
  });

  it('turn TLS verification off on that side of the copy, and put no secret in the Job', async () => {
    const { access, files } = await observeRegistryAccess(
      SPEC,
      observeContext(settings),
      'images',
      imageOperatorSides('skopeo.io/v1alpha1', settings),
    );
    assert.ok(access);
    const objects = renderImageSync(manifest('skopeo.io/v1alpha1'), {
      namespace: 'images',
      settings,
      commit: { sha: 'abc', author: 'a', date: '2026-01-01T00:00:00Z', message: 'm' },
      live: [],
      observed: observed([{ sourceRef: '1.0', digest: `sha256:${'1'.repeat(64)}` }], files),
    });
    const job = objects.find((o) => o.kind === 'Job')!;
    const script = jobCommand(job)?.[2] ?? '';
    assert.match(script, /--dest-tls-verify=false/);
    assert.doesNotMatch(script, /--src-tls-verify=false/);
    assert.match(script, /--authfile /);
    assert.ok(!JSON.stringify(job).includes('src-pass') && !JSON.stringify(job).includes('dest-pass'));
    assert.ok(
      objects.some((o) => o.kind === 'Secret'),
      'the authfile Secret carries them',
    );
  });

  it('leave native ImageSyncs alone, and go only to CREDS_*_HOSTS when that is set', async () => {
    assert.deepEqual((await authFileOf('image-gitops.io/v1alpha1', settings)).auths, {});
    const restricted = settingsFromEnv({ ...ENV, CREDS_SOURCE_HOSTS: 'ghcr.io' });
    const { auths } = await authFileOf('skopeo.io/v1alpha1', restricted);
    assert.equal(auths['quay.io'], undefined);
    assert.equal(decoded(auths['registry.local:5000']), 'pusher:dest-pass');
  });

  it("yield to the manifest's own registries entry", async () => {
    const own: Settings = { ...settings, imageSync: { ...settings.imageSync } };
    const spec = { ...SPEC, registries: [{ host: 'registry.local:5000', tlsVerify: true }] };
    const { access } = await observeRegistryAccess(
      spec,
      observeContext(own),
      'images',
      imageOperatorSides('skopeo.io/v1alpha1', own),
    );
    assert.equal(access.get('registry.local:5000')?.tlsVerify, true);
    assert.deepEqual(DEFAULT_SETTINGS.imageSync.imageOperator, { source: {}, destination: {} });
  });
});
