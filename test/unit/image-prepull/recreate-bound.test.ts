// recreateUnhealthyAfter in the one duration grammar: minutes and hours as the schema allows, `never` off.
import assert from 'node:assert/strict';
import { recreateBoundMs } from '../../../src/kinds/image-prepull/normalize.js';

describe('ImagePrepull recreateUnhealthyAfter', () => {
  it('reads minutes and hours as milliseconds, never as no bound, and has a default', () => {
    assert.equal(recreateBoundMs('30m'), 1_800_000);
    assert.equal(recreateBoundMs('2h'), 7_200_000);
    assert.equal(recreateBoundMs('never'), undefined);
    assert.ok((recreateBoundMs(undefined) ?? 0) > 0, 'a bound by default');
  });
});
