// `diff --output markdown`: binary data and large values by size and hash, Secrets by key only, fences a
// diff cannot close.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { LARGE_VALUE_BYTES, markdownDiff, summarizeLarge } from '../../../src/cli/markdown.js';
import type { KubeObject } from '../../../src/core/kube-object.js';
import type { SyncReport } from '../../../src/status/types.js';

const sha = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex').slice(0, 12)}`;
const archive = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 256));
const large = 'x'.repeat(LARGE_VALUE_BYTES + 1);

const configMap: KubeObject = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'ctx', namespace: 'ns' },
  data: { small: 'kept as it is', big: large, fence: '```' },
  binaryData: { 'context.tar': archive.toString('base64') },
};
const secret: KubeObject = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 's', namespace: 'ns' },
  data: { token: Buffer.from(large).toString('base64') },
};

function report(): SyncReport {
  return {
    startedAt: '',
    finishedAt: '',
    durationSeconds: 0,
    trigger: 'cli',
    result: 'Succeeded',
    fetchSkipped: false,
    manifests: [
      {
        key: 'ImageBuild/ns/app',
        kind: 'ImageBuild',
        name: 'app',
        file: 'app.yaml',
        line: 3,
        result: 'Planned',
        message: '',
        problems: [],
        objects: [],
        commit: 'c',
        author: 'a',
        health: 'Unknown',
      },
    ],
    fileProblems: [],
    counts: { applied: 0, unchanged: 0, pruned: 0, failed: 0, kept: 0 },
    appliedByKind: {},
    prunedByKind: {},
  };
}

describe('diff --output markdown', () => {
  it('shows binary data and large values by size and hash, small ones as they are', () => {
    const summarized = summarizeLarge(configMap)!;
    assert.deepEqual(summarized.binaryData, { 'context.tar': `(binary, 3000 bytes, ${sha(archive)})` });
    assert.deepEqual(summarized.data, {
      small: 'kept as it is',
      big: `(large value, ${large.length} bytes, ${sha(Buffer.from(large))})`,
      fence: '```',
    });
    assert.equal(summarizeLarge(secret), secret, 'a Secret is left to the mask: no hash of its values');
  });

  it('a table per manifest, then a collapsible diff per object; refusals in the open', () => {
    const text = markdownDiff(report(), [
      {
        ref: 'v1 ConfigMap ns/ctx',
        manifest: 'ImageBuild/ns/app',
        action: 'create',
        reason: 'not in the cluster',
        after: configMap,
      },
      {
        ref: 'v1 Secret ns/s',
        manifest: 'ImageBuild/ns/app',
        action: 'update',
        reason: 'rendered content changed',
        live: secret,
        after: { ...secret, data: { token: 'b3RoZXI=' } },
      },
      {
        ref: 'batch/v1 Job ns/j',
        manifest: 'ImageBuild/ns/app',
        action: 'create',
        reason: 'not in the cluster',
        error: '404 NotFound: namespaces "ns" not found',
      },
    ]);
    assert.match(text, /^\| `ImageBuild\/ns\/app` \| `app\.yaml:3` \| Planned \| 1 \| 1 \| 0 \| 0 \| 1 \|$/m);
    assert.match(text, /^2 change\(s\), 1 refused by the API server, 0 failing manifest\(s\)$/m);
    assert.match(
      text,
      /<summary><b>create<\/b> <code>v1 ConfigMap ns\/ctx<\/code>: not in the cluster<\/summary>/,
    );
    assert.match(text, /\+ {2}context\.tar: \(binary, 3000 bytes, sha256:[0-9a-f]{12}\)/);
    assert.ok(!text.includes(archive.toString('base64').slice(0, 64)), 'no binary dumped');
    assert.ok(!text.includes(large), 'no large value dumped');
    assert.match(text, /\+ {2}token: \(hidden, changed\)/);
    assert.ok(!text.includes(Buffer.from(large).toString('base64').slice(0, 64)));
    assert.match(text, /^````diff$/m, 'a fence longer than the ``` in the data');
    assert.match(text, /^- ❌ \*\*create\*\* `batch\/v1 Job ns\/j` refused by the API server: 404 NotFound/m);
  });
});
