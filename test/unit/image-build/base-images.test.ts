// The base images a build pulls, from its Dockerfile's FROM lines: ARG substitution, scratch and stage names
// not pulled, a target's later stages not built, a fixed --platform pulled once; and their price by host.
import assert from 'node:assert/strict';
import { baseImages, basePullsByHost, substitute } from '../../../src/kinds/image-build/base-images.js';

const refs = (text: string, args: Record<string, string> = {}, target?: string) =>
  baseImages(text, args, target).images.map((i) => [i.reference, i.host, i.onePlatform]);

describe('ImageBuild base images', () => {
  it('reads each FROM once, with its registry, and not scratch or an earlier stage', () => {
    const dockerfile = `# syntax=docker/dockerfile:1
FROM golang:1.22 AS build
RUN go build ./...
FROM build AS test
FROM quay.io/team/base:2 \\
  AS final
FROM scratch
COPY --from=build /app /app
FROM golang:1.22
`;
    assert.deepEqual(refs(dockerfile), [
      ['golang:1.22', 'docker.io', false],
      ['quay.io/team/base:2', 'quay.io', false],
    ]);
  });

  it('substitutes the ARGs before the first FROM, buildArgs over their defaults', () => {
    const dockerfile = `ARG BASE=alpine
ARG VERSION=3.19 REGISTRY
FROM \${REGISTRY:-docker.io}/library/$BASE:\${VERSION}
ARG LATE=x
FROM ghcr.io/$LATE/tool
`;
    const parsed = baseImages(dockerfile, { VERSION: '3.20' });
    assert.deepEqual(
      parsed.images.map((i) => i.reference),
      ['docker.io/library/alpine:3.20'],
    );
    assert.deepEqual(parsed.unresolved, ['ghcr.io/$LATE/tool'], 'an ARG after FROM is no FROM variable');
    assert.equal(substitute(`\${A:+set}`, new Map([['A', '1']])), 'set');
    assert.equal(substitute(`\${A:+set}`, new Map()), '');
    assert.equal(substitute('$A', new Map()), undefined);
  });

  it('stops at the target stage, and pulls a fixed --platform once', () => {
    const dockerfile = `FROM --platform=$BUILDPLATFORM golang:1.22 AS build
FROM --platform=$TARGETPLATFORM alpine:3 AS runtime
FROM nginx:1.27 AS extra
`;
    assert.deepEqual(refs(dockerfile, {}, 'runtime'), [
      ['golang:1.22', 'docker.io', true],
      ['alpine:3', 'docker.io', false],
    ]);
    assert.equal(refs(dockerfile).length, 3);
  });

  it('prices two GETs per platform pulled, by host', () => {
    const { images } = baseImages(
      'FROM --platform=linux/amd64 golang:1.22 AS b\nFROM alpine:3\nFROM quay.io/x/y\n',
    );
    assert.deepEqual(
      [...basePullsByHost(images, 2)],
      [
        ['docker.io', 2 + 4],
        ['quay.io', 4],
      ],
    );
  });
});
