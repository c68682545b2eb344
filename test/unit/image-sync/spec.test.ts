import assert from 'node:assert/strict';
import { parseFrequency, scheduleProblem, scheduleToCron } from '../../../src/core/schedule.js';
import { convertImageOperatorImage } from '../../../src/kinds/image-sync/alias-image-operator.js';
import { checkImageSync } from '../../../src/kinds/image-sync/check.js';
import { copyPairFor, effectiveMode } from '../../../src/kinds/image-sync/naming.js';
import { recurrenceOfSpec, timedFrequency } from '../../../src/kinds/image-sync/recurrence.js';
import { digestTag } from '../../../src/registry/copy-pair.js';
import { formatImageReference } from '../../../src/registry/references.js';

const digest = `sha256:${'c'.repeat(64)}`;

describe('ImageSync destination naming', () => {
  it('keeps the source tag by default', () => {
    const pair = copyPairFor(
      { source: { image: 'nginx' }, destination: { image: 'reg.example.com/nginx' } },
      '1.27',
    );
    assert.equal(formatImageReference(pair.destination), 'reg.example.com/nginx:1.27');
  });

  it('turns a digest source into a sha256_<hex> tag', () => {
    assert.equal(digestTag(digest), `sha256_${'c'.repeat(64)}`);
    const pair = copyPairFor(
      { source: { image: 'quay.io/a/b', digest }, destination: { image: 'reg.example.com/b' } },
      digest,
    );
    assert.equal(formatImageReference(pair.source), `quay.io/a/b@${digest}`);
    assert.equal(pair.destination.tag, `sha256_${'c'.repeat(64)}`);
  });

  it('templates the destination from the source registry, repository, name and tag', () => {
    const pair = copyPairFor(
      {
        source: { image: 'quay.io/argoproj/argocd' },
        destination: { image: 'reg.example.com/mirror/{{registry}}/{{repository}}', tag: '{{tag}}-mirrored' },
      },
      'v2.13.1',
    );
    assert.equal(
      formatImageReference(pair.destination),
      'reg.example.com/mirror/quay.io/argoproj/argocd:v2.13.1-mirrored',
    );
  });

  it('reports an unknown template variable', () => {
    const problems = checkImageSync({
      source: { image: 'nginx' },
      destination: { image: 'r.io/x', tag: '{{version}}' },
    });
    assert.match(problems[0]?.message ?? '', /unknown template variable \{\{version\}\}/);
  });
});

describe('ImageSync mode and schedule', () => {
  it('infers OnceByTag from tags, Recurrent from schedule, OneShot otherwise', () => {
    const base = { source: { image: 'nginx' }, destination: { image: 'r.io/nginx' } };
    assert.equal(effectiveMode({ ...base, tags: { pattern: '1.x.x' } }), 'OnceByTag');
    assert.equal(effectiveMode({ ...base, schedule: '1d' }), 'Recurrent');
    assert.equal(effectiveMode(base), 'OneShot');
  });

  it('turns a frequency into a CronJob schedule only when it runs at even intervals', () => {
    assert.equal(scheduleToCron('15m'), '*/15 * * * *');
    assert.equal(scheduleToCron('1h'), '0 * * * *');
    assert.equal(scheduleToCron('6h'), '0 */6 * * *');
    assert.equal(scheduleToCron('1d'), '0 0 * * *');
    assert.equal(scheduleToCron('1w'), '0 0 * * 0');
    assert.equal(scheduleToCron('30s'), '* * * * *');
    assert.equal(scheduleToCron('120m'), '0 */2 * * *');
    assert.equal(scheduleToCron('600s'), '*/10 * * * *', '600s is ten minutes, not every minute');
    // */45 would run at :00 and :45 (45 then 15 minutes apart), 0 */5 at 0,5,...,20 then 0 (4 hours):
    // these, and what cron cannot say at all, are timed by the reconciler.
    for (const text of ['45m', '5h', '90m', '1h30m', '36h', '2w', '45d', '2d', '90s'])
      assert.equal(scheduleToCron(text), undefined, text);
    assert.equal(scheduleToCron('5 4 * * 1-5'), '5 4 * * 1-5');
    assert.equal(scheduleToCron('every day'), undefined);
  });

  it('reads frequencies as elapsed time, Go-style combinations included', () => {
    assert.equal(parseFrequency('600s'), 600_000);
    assert.equal(parseFrequency('90m'), 5_400_000);
    assert.equal(parseFrequency('1h30m'), 5_400_000);
    assert.equal(parseFrequency('36h'), 129_600_000);
    assert.equal(parseFrequency('2w'), 14 * 86_400_000);
    assert.equal(parseFrequency('45d'), 45 * 86_400_000);
    assert.equal(parseFrequency('1.5h'), 5_400_000);
    for (const text of ['0m', '5', 'h', '-5m', '1h 30m']) assert.equal(parseFrequency(text), undefined, text);
    // The grammar SYNC_SCHEDULE takes too: milliseconds and weeks with days.
    assert.equal(parseFrequency('1w2d'), 9 * 86_400_000);
    assert.equal(parseFrequency('90000ms'), 90_000);
    for (const text of ['600s', '90m', '1h30m', '36h', '2w', '45d', '45m', '5h'])
      assert.equal(scheduleProblem(text), undefined, text);
  });

  it('passes on only the cron expressions the API server accepts', () => {
    for (const text of ['61 * * * *', '* * * * 7', '0 0 L * *', '0 0 * * 1#2', '* * * * * *', '@reboot'])
      assert.equal(scheduleToCron(text), undefined, text);
    for (const text of ['61 * * * *', '0 0 L * *'])
      assert.match(scheduleProblem(text) ?? '', /not a valid cron schedule/);
    assert.equal(scheduleToCron('@daily'), '@daily');
    assert.equal(scheduleToCron('0 0 31 2 *'), '0 0 31 2 *');
  });

  it('runs a Recurrent sync without schedule every 5m, as the CRD defaults it', () => {
    const spec = {
      source: { image: 'nginx' },
      destination: { image: 'r.io/nginx' },
      mode: 'Recurrent' as const,
    };
    assert.deepEqual(checkImageSync(spec), []);
    assert.deepEqual(recurrenceOfSpec(spec), { kind: 'cron', cron: '*/5 * * * *', everyMs: 300_000 });
  });

  it('accepts Recurrent with a tag selector at a frequency (timed by the reconciler), not at a cron expression', () => {
    const base = {
      source: { image: 'nginx' },
      destination: { image: 'r.io/nginx' },
      mode: 'Recurrent' as const,
      tags: { pattern: '1.x.x' },
    };
    assert.deepEqual(checkImageSync({ ...base, schedule: '1d' }), []);
    assert.equal(timedFrequency({ ...base, schedule: '1d' }), 86_400_000);
    assert.deepEqual(
      checkImageSync({ ...base, schedule: '0 3 * * *' }).map((p) => p.field),
      ['/spec/schedule'],
    );
  });
});

describe("image-operator's Image alias", () => {
  const image = (spec: Record<string, unknown>) => ({
    apiVersion: 'skopeo.io/v1alpha1',
    kind: 'Image',
    metadata: { name: 'x' },
    spec,
  });

  it('converts a Recurrent copy of one tag with its frequency', () => {
    const spec = convertImageOperatorImage(
      image({
        frequency: '15m',
        mode: 'Recurrent',
        source: { name: 'quay.io/nginx/nginx-ingress', version: '3.7-alpine' },
        destination: { name: 'tchoupinax/nginx/nginx-ingress', version: '3.7-alpine' },
      }),
    );
    assert.deepEqual(spec, {
      source: { image: 'quay.io/nginx/nginx-ingress', tag: '3.7-alpine' },
      destination: { image: 'tchoupinax/nginx/nginx-ingress', tag: '3.7-alpine' },
      mode: 'Recurrent',
      schedule: '15m',
    });
    assert.equal(scheduleToCron(spec.schedule!), '*/15 * * * *');
    assert.deepEqual(checkImageSync(spec), []);
  });

  it('converts a version pattern with release candidates to a tag selector keeping each tag', () => {
    const spec = convertImageOperatorImage(
      image({
        allowCandidateRelease: true,
        mode: 'OneShot',
        source: { name: 'quay.io/argoproj/argocd', version: 'v2.13.x' },
        destination: { name: 'tchoupinax/argoproj/argocd', version: 'v2.13.x' },
      }),
    );
    assert.deepEqual(spec.tags, { pattern: 'v2.13.x', releaseCandidates: true, syntax: 'image-operator' });
    assert.equal(spec.mode, 'OnceByTag');
    const pair = copyPairFor(spec, 'v2.13.0-rc1');
    assert.equal(formatImageReference(pair.destination), 'docker.io/tchoupinax/argoproj/argocd:v2.13.0-rc1');
    assert.deepEqual(checkImageSync(spec), []);
  });
});
