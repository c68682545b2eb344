import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS, settingsFromEnv } from '../../../src/config/settings.js';

// image-operator's environment variables, read as it reads them (its README's list and its Job builders).
describe("image-operator's settings", () => {
  it('builds the tool images from SKOPEO_IMAGE/BUILDAH_IMAGE and SKOPEO_VERSION/BUILDAH_VERSION', () => {
    const both = settingsFromEnv({
      SKOPEO_IMAGE: 'quay.io/containers/skopeo',
      SKOPEO_VERSION: 'v1.17.0',
      BUILDAH_IMAGE: 'quay.io/containers/buildah',
      BUILDAH_VERSION: 'v1.38.0',
    }).images;
    assert.equal(both.skopeo, 'quay.io/containers/skopeo:v1.17.0');
    assert.equal(both.buildah, 'quay.io/containers/buildah:v1.38.0');
    // An image without version takes image-operator's default version.
    const imageOnly = settingsFromEnv({
      SKOPEO_IMAGE: 'registry.local:5000/skopeo',
      BUILDAH_IMAGE: 'registry.local:5000/buildah',
    }).images;
    assert.equal(imageOnly.skopeo, 'registry.local:5000/skopeo:v1.16.1');
    assert.equal(imageOnly.buildah, 'registry.local:5000/buildah:v1.37.3');
    // A version only changes the tag of the default image.
    assert.equal(
      settingsFromEnv({ SKOPEO_VERSION: 'v1.17.0' }).images.skopeo,
      'quay.io/skopeo/stable:v1.17.0',
    );
    // A whole reference (how image-gitops read SKOPEO_IMAGE) is kept as it is.
    assert.equal(
      settingsFromEnv({ SKOPEO_IMAGE: 'mirror.local/skopeo:v1.16.1' }).images.skopeo,
      'mirror.local/skopeo:v1.16.1',
    );
    assert.deepEqual(settingsFromEnv({}).images, DEFAULT_SETTINGS.images);
    assert.throws(
      () => settingsFromEnv({ SKOPEO_IMAGE: 'mirror.local/skopeo:v1', SKOPEO_VERSION: 'v2' }),
      /SKOPEO_IMAGE .* already has a tag/,
    );
    assert.throws(
      () => settingsFromEnv({ BUILDAH_VERSION: 'v1 && true' }),
      /BUILDAH_VERSION must be an image tag/,
    );
  });

  it('reads BUILDAH_PRIVILEGED_CONTAINER, off by default', () => {
    assert.equal(settingsFromEnv({}).imageBuild?.privileged, false);
    assert.equal(settingsFromEnv({ BUILDAH_PRIVILEGED_CONTAINER: 'false' }).imageBuild?.privileged, false);
    assert.equal(settingsFromEnv({ BUILDAH_PRIVILEGED_CONTAINER: 'true' }).imageBuild?.privileged, true);
    assert.throws(
      () => settingsFromEnv({ BUILDAH_PRIVILEGED_CONTAINER: 'yes' }),
      /must be "true" or "false"/,
    );
  });

  it('takes CREDS_* (both halves needed) and DISABLE_*_TLS_VERIFICATION as they are', () => {
    const sides = settingsFromEnv({
      CREDS_SOURCE_USERNAME: 'robot',
      CREDS_SOURCE_PASSWORD: 's3cret',
      CREDS_DESTINATION_USERNAME: 'pusher',
      CREDS_DESTINATION_PASSWORD: '',
      DISABLE_SRC_TLS_VERIFICATION: 'false',
      DISABLE_DEST_TLS_VERIFICATION: 'true',
      CREDS_SOURCE_HOSTS: 'Quay.io, registry.local:5000',
    }).imageSync.imageOperator;
    assert.deepEqual(sides, {
      source: {
        credential: { username: 'robot', password: 's3cret' },
        credentialHosts: ['quay.io', 'registry.local:5000'],
      },
      destination: { tlsVerify: false },
    });
    assert.deepEqual(settingsFromEnv({}).imageSync.imageOperator, { source: {}, destination: {} });
  });
});
