// src/core, the helpers every kind and the engine share, tested directly (the mutation run found them
// covered only through other code, or not at all).
import assert from 'node:assert/strict';
import { mapBounded } from '../../../src/core/concurrency.js';
import {
  formatLocation,
  formatProblem,
  ImageGitopsError,
  problemFromError,
} from '../../../src/core/errors.js';
import { canonicalJson, contentHash, sha256Hex } from '../../../src/core/hash.js';
import { objectKey, objectRef } from '../../../src/core/kube-object.js';
import { nameWithHash, toDnsName } from '../../../src/core/labels.js';

describe('mapBounded', () => {
  it('maps every item in order with at most `limit` in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const results = await mapBounded([1, 2, 3, 4, 5], 2, async (n) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      return n * 10;
    });
    assert.deepEqual(results, [10, 20, 30, 40, 50]);
    assert.equal(most, 2);
  });

  it('maps nothing for no items, and all at once under a limit above their number', async () => {
    assert.deepEqual(await mapBounded([], 4, async () => assert.fail('called')), []);
    let most = 0;
    let inFlight = 0;
    await mapBounded([1, 2, 3], 10, async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
    });
    assert.equal(most, 3);
  });
});

describe('problems', () => {
  it('formats a location with what it has: file, line, column, field', () => {
    assert.equal(formatLocation(undefined), '');
    assert.equal(formatLocation({ file: 'a.yaml' }), 'a.yaml');
    assert.equal(formatLocation({ file: 'a.yaml', line: 3 }), 'a.yaml:3');
    assert.equal(formatLocation({ file: 'a.yaml', line: 3, column: 7 }), 'a.yaml:3:7');
    assert.equal(formatLocation({ file: 'a.yaml', line: 3, field: 'spec.tag' }), 'a.yaml:3 spec.tag');
  });

  it('formats a problem with its location first and its code last', () => {
    assert.equal(formatProblem({ code: 'YAML_PARSE', message: 'bad' }), 'bad [YAML_PARSE]');
    assert.equal(
      formatProblem({ code: 'YAML_PARSE', message: 'bad', location: { file: 'a.yaml', line: 2 } }),
      'a.yaml:2: bad [YAML_PARSE]',
    );
  });

  it('carries code, message and location in an ImageGitopsError, and only the location it was given', () => {
    const located = new ImageGitopsError('GIT_FETCH', 'down', { file: 'x.yaml' });
    assert.equal(located.name, 'ImageGitopsError');
    assert.deepEqual(located.toProblem(), {
      code: 'GIT_FETCH',
      message: 'down',
      location: { file: 'x.yaml' },
    });
    const bare = new ImageGitopsError('GIT_FETCH', 'down');
    assert.equal(bare.location, undefined);
    assert.deepEqual(bare.toProblem(), { code: 'GIT_FETCH', message: 'down' });
  });

  it('turns any error into a problem: ours keep their code, others take the fallback', () => {
    assert.deepEqual(problemFromError(new ImageGitopsError('GIT_AUTH', 'no'), 'REGISTRY'), {
      code: 'GIT_AUTH',
      message: 'no',
    });
    assert.deepEqual(problemFromError(new Error('boom'), 'REGISTRY'), { code: 'REGISTRY', message: 'boom' });
    assert.deepEqual(problemFromError('text', 'REGISTRY', { file: 'f.yaml' }), {
      code: 'REGISTRY',
      message: 'text',
      location: { file: 'f.yaml' },
    });
  });
});

describe('object names', () => {
  it('names an object for people: apiVersion, kind, namespace/name', () => {
    const meta = (namespace?: string) => ({ name: 'puller', ...(namespace ? { namespace } : {}) });
    assert.equal(
      objectRef({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: meta('default') }),
      'apps/v1 DaemonSet default/puller',
    );
    assert.equal(objectRef({ apiVersion: 'v1', kind: 'Namespace', metadata: meta() }), 'v1 Namespace puller');
  });

  it('keys an object by group, kind, namespace and name, whatever its version', () => {
    const key = (apiVersion: string, namespace?: string) =>
      objectKey({ apiVersion, kind: 'Thing', metadata: { name: 'n', ...(namespace ? { namespace } : {}) } });
    assert.equal(key('apps/v1', 'ns'), 'apps/Thing/ns/n');
    assert.equal(key('apps/v1beta1', 'ns'), key('apps/v1', 'ns'));
    assert.equal(key('v1', 'ns'), '/Thing/ns/n');
    assert.equal(key('v1'), '/Thing//n');
  });

  it('makes DNS names: lower case, runs of other characters as one dash, no dash at either end, bounded', () => {
    assert.equal(toDnsName('My_App..v2'), 'my-app-v2');
    assert.equal(toDnsName('--a--b--'), 'a-b');
    assert.equal(toDnsName(`${'a'.repeat(10)}-b`, 11), 'a'.repeat(10));
    assert.equal(toDnsName('!!!'), 'x');
    assert.equal(nameWithHash('Team App', 'abc123', 12), 'team-abc123');
  });
});

describe('content hashes', () => {
  it('hash equal content equally whatever the key order, and different content differently', () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } }),
      '{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}',
    );
    assert.equal(contentHash({ a: 1, b: 2 }), contentHash({ b: 2, a: 1 }));
    assert.notEqual(contentHash({ a: 1 }), contentHash({ a: 2 }));
    assert.equal(contentHash({ a: 1 }).length, 10);
    assert.equal(contentHash({ a: 1 }, 16), sha256Hex('{"a":1}').slice(0, 16));
    assert.equal(sha256Hex(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});
