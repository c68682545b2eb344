import assert from 'node:assert/strict';
import { DETAILS_LIST_MAX, imageDetails } from '../../../src/status/details.js';

describe('image details of a manifest status', () => {
  it('copies the image facts and never the credentials the observed state holds', () => {
    const details = imageDetails({
      message: '3 selected, 1 up to date, 2 to copy',
      matched: 3,
      upToDate: 1,
      pending: [
        { sourceRef: 'v1', digest: 'sha256:aa', auth: 'cm9ib3Q6c2VjcmV0' },
        { sourceRef: 'v2', digest: 'sha256:bb' },
      ],
      builds: [{ job: 'b-1', phase: 'Complete', digest: 'sha256:cc', image: 'r/app:1', durationSeconds: 12 }],
      authFile: { auths: { 'quay.io': { auth: 'cm9ib3Q6c2VjcmV0' } } },
      pullAuth: { auths: { backup: { auth: 'cm9ib3Q6c2VjcmV0' } } },
      files: { 'auth.json': 'cm9ib3Q6c2VjcmV0' },
    });
    assert.doesNotMatch(JSON.stringify(details), /cm9ib3Q6c2VjcmV0/);
    assert.deepEqual(details, {
      observed: '3 selected, 1 up to date, 2 to copy',
      matched: 3,
      upToDate: 1,
      pending: [
        { sourceRef: 'v1', digest: 'sha256:aa' },
        { sourceRef: 'v2', digest: 'sha256:bb' },
      ],
      builds: [{ job: 'b-1', phase: 'Complete', image: 'r/app:1', digest: 'sha256:cc', durationSeconds: 12 }],
    });
  });

  it('bounds the lists it stores and says how many more there were', () => {
    const pending = Array.from({ length: 1000 }, (_, i) => ({ sourceRef: `v${i}`, digest: `sha256:${i}` }));
    const details = imageDetails({ pending, missing: ['a', 'b'] });
    assert.equal((details?.pending as unknown[] | undefined)?.length, DETAILS_LIST_MAX);
    assert.equal(details?.pendingMore, 1000 - DETAILS_LIST_MAX);
    assert.deepEqual(details?.missing, [{ ref: 'a' }, { ref: 'b' }]);
    assert.equal(imageDetails(undefined), undefined);
    assert.equal(imageDetails({ authFile: {} }), undefined);
  });
});
