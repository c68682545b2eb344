// ECR credentials through the real AWS SDK v3 (web identity → STS AssumeRoleWithWebIdentity → signed ECR
// GetAuthorizationToken) against a loopback emulator of both APIs (test/support/aws-emulator.ts), with time
// driven by an injected clock: cached while fresh, asked again when near expiry, one call for concurrent
// askers, failures named without any token. Also the public ECR page bounds (API_AWS_PAGE_*), the
// image-operator aliases' useAwsIRSA and the native `registries[].awsEcr`.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DEFAULT_SETTINGS, type RegistryDefaults, type Settings } from '../../../src/config/settings.js';
import { imageBuildKind } from '../../../src/kinds/image-build/index.js';
import type { ImageBuildSpec } from '../../../src/kinds/image-build/types.js';
import { imageSyncKind } from '../../../src/kinds/image-sync/index.js';
import type { ImageSyncSpec } from '../../../src/kinds/image-sync/spec.js';
import { loadManifests } from '../../../src/kinds/registry.js';
import type { ObserveContext } from '../../../src/kinds/types.js';
import type { Manifest } from '../../../src/manifests/types.js';
import { RegistryClient } from '../../../src/registry/client.js';
import {
  type AwsEcrAccess,
  awsIrsaRegistries,
  EcrTokenSource,
  parseEcrHost,
  publicEcrTagPaging,
  scrubSecrets,
} from '../../../src/registry/ecr.js';
import { type AwsEmulator, startAwsEmulator } from '../../support/aws-emulator.js';
import { kindRound } from '../../support/kind-round.js';
import { makeTempDir } from '../../support/tmp.js';

const HOUR = 3600_000;
const ROLE = 'arn:aws:iam::123456789012:role/image-gitops';
const WEB_IDENTITY =
  'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJlLW9mLXRoZS1rdWJlbGV0';
const PASSWORDS = [
  'ecr-password-one-aaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  'ecr-password-two-bbbbbbbbbbbbbbbbbbbbbbbbbbbb',
];
const ECR_HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

class Clock {
  ms = Date.parse('2026-06-01T00:00:00Z');
  now = () => this.ms;
}

function irsaEnv(emulator: AwsEmulator, tokenFile: string): Record<string, string> {
  return {
    AWS_ROLE_ARN: ROLE,
    AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
    AWS_REGION: 'eu-west-1',
    AWS_ENDPOINT_URL_STS: emulator.url,
    AWS_ENDPOINT_URL_ECR: emulator.url,
  };
}

describe('ECR credentials (awsEcr / useAwsIRSA)', () => {
  describe('through the AWS SDK against a loopback STS and ECR', () => {
    let emulator: AwsEmulator;
    let clock: Clock;
    let tokenFile: string;
    const sources: EcrTokenSource[] = [];
    const source = (env: Record<string, string>, extra: { renewBeforeMs?: number } = {}) => {
      const made = new EcrTokenSource({ env, now: clock.now, ...extra });
      sources.push(made);
      return made;
    };

    beforeEach(async () => {
      clock = new Clock();
      emulator = await startAwsEmulator({
        webIdentityToken: WEB_IDENTITY,
        roleArn: ROLE,
        passwords: PASSWORDS,
        now: clock.now,
      });
      tokenFile = join(makeTempDir('irsa'), 'token');
      writeFileSync(tokenFile, WEB_IDENTITY);
    });
    afterEach(async () => {
      for (const s of sources.splice(0)) s.close();
      await emulator.stop();
    });

    it('gets AWS/<password> from STS (web identity file) then a SigV4-signed GetAuthorizationToken', async () => {
      const tokens = source(irsaEnv(emulator, tokenFile));
      const credential = await tokens.credentialFor(ECR_HOST);
      assert.equal(credential.username, 'AWS');
      assert.equal(credential.password, PASSWORDS[0]);
      assert.equal(credential.region, 'eu-west-1');
      assert.equal(credential.expiresAt - clock.ms, 12 * HOUR);
      assert.deepEqual(
        emulator.calls.map((c) => [c.service, c.action, c.status]),
        [
          ['sts', 'AssumeRoleWithWebIdentity', 200],
          ['ecr', 'GetAuthorizationToken', 200],
        ],
      );
    });

    it('keeps the token while fresh and asks again when near expiry (renewed before it expires)', async () => {
      const tokens = source(irsaEnv(emulator, tokenFile));
      const first = await tokens.credentialFor(ECR_HOST);
      clock.ms += 5 * HOUR;
      assert.equal((await tokens.credentialFor(ECR_HOST)).password, PASSWORDS[0], 'fresh: kept');
      assert.equal(emulator.issued.length, 1);
      // 6 h before expiry (the default renewal margin), it is asked again though still valid.
      clock.ms = first.expiresAt - 6 * HOUR;
      const renewed = await tokens.credentialFor(ECR_HOST);
      assert.equal(renewed.password, PASSWORDS[1]);
      assert.ok(renewed.expiresAt > first.expiresAt);
      assert.equal(emulator.issued.length, 2);
      assert.ok(first.expiresAt > clock.ms, 'the old token had not expired yet');
    });

    it('honours a shorter renewal margin, and shares one call between concurrent askers', async () => {
      const tokens = source(irsaEnv(emulator, tokenFile), { renewBeforeMs: HOUR });
      const [a, b, c] = await Promise.all([
        tokens.credentialFor(ECR_HOST),
        tokens.credentialFor(ECR_HOST),
        tokens.credentialFor(`https://${ECR_HOST}`),
      ]);
      assert.equal(emulator.issued.length, 1);
      assert.deepEqual([a.password, b.password, c.password], [PASSWORDS[0], PASSWORDS[0], PASSWORDS[0]]);
      clock.ms = a.expiresAt - HOUR - 1;
      await tokens.credentialFor(ECR_HOST);
      assert.equal(emulator.issued.length, 1, 'still more than the margin left');
      clock.ms += 2;
      assert.equal((await tokens.credentialFor(ECR_HOST)).password, PASSWORDS[1]);
    });

    it('keeps a still-valid token when its renewal fails, until less than an hour is left', async () => {
      const tokens = source(irsaEnv(emulator, tokenFile));
      const first = await tokens.credentialFor(ECR_HOST);
      await emulator.stop(); // ECR unreachable from now on
      clock.ms = first.expiresAt - 2 * HOUR;
      assert.equal((await tokens.credentialFor(ECR_HOST)).password, PASSWORDS[0], 'renewal failed: kept');
      clock.ms = first.expiresAt - HOUR + 1;
      await assert.rejects(tokens.credentialFor(ECR_HOST), (e: Error) => {
        assert.match(
          e.message,
          /ECR authorization token for 123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com/,
        );
        assert.ok(!e.message.includes(PASSWORDS[0]!));
        return true;
      });
    });

    it('takes the region from an ECR host name, else AWS_REGION; refuses ECR Public and a missing region', async () => {
      const env = irsaEnv(emulator, tokenFile);
      const tokens = source(env);
      assert.equal(tokens.regionFor('111122223333.dkr.ecr.us-west-2.amazonaws.com'), 'us-west-2');
      assert.equal(tokens.regionFor('127.0.0.1:5000'), 'eu-west-1');
      assert.throws(() => tokens.regionFor('public.ecr.aws'), /ECR Public/);
      const { AWS_REGION: _, ...noRegion } = env;
      assert.throws(() => source(noRegion).regionFor('127.0.0.1:5000'), /needs an AWS region.*AWS_REGION/);
      // The signing region follows the host: the emulator answers with it.
      await tokens.credentialFor('111122223333.dkr.ecr.us-west-2.amazonaws.com');
      assert.equal(emulator.calls.at(-1)?.status, 200);
    });

    it('names a refused web identity without the token, the role keys or the session', async () => {
      writeFileSync(tokenFile, `${WEB_IDENTITY}-not-the-one-sts-trusts`);
      const tokens = source(irsaEnv(emulator, tokenFile));
      const error = await tokens.credentialFor(ECR_HOST).then(
        () => assert.fail('resolved'),
        (e: Error) => e,
      );
      assert.match(error.message, /ECR authorization token for 123456789012\.dkr\.ecr\.eu-west-1/);
      assert.match(error.message, /InvalidIdentityToken/);
      assert.ok(!error.message.includes(WEB_IDENTITY.slice(0, 20)), error.message);
      assert.equal(emulator.issued.length, 0);
    });

    it('gets no token with keys STS did not issue (the emulator checks the SigV4 signature)', async () => {
      const tokens = new EcrTokenSource({
        env: irsaEnv(emulator, tokenFile),
        now: clock.now,
        credentials: async () => ({ accessKeyId: 'ASIAFORGED', secretAccessKey: 'x', sessionToken: 'y' }),
      });
      sources.push(tokens);
      await assert.rejects(tokens.credentialFor(ECR_HOST), /UnrecognizedClientException/);
      assert.equal(emulator.issued.length, 0);
    });
  });

  it('parses ECR host names (commercial, China, FIPS, dual-stack) and nothing else', () => {
    assert.deepEqual(parseEcrHost('123456789012.dkr.ecr.eu-west-1.amazonaws.com'), {
      registryId: '123456789012',
      region: 'eu-west-1',
    });
    assert.equal(parseEcrHost('123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn')?.region, 'cn-north-1');
    assert.equal(
      parseEcrHost('123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com')?.region,
      'us-gov-west-1',
    );
    assert.equal(parseEcrHost('123456789012.dkr-ecr.ap-southeast-2.on.aws')?.region, 'ap-southeast-2');
    assert.equal(parseEcrHost('public.ecr.aws'), undefined);
    assert.equal(parseEcrHost('quay.io'), undefined);
    assert.equal(parseEcrHost('12345.dkr.ecr.eu-west-1.amazonaws.com'), undefined);
  });

  it('scrubs token-like runs from AWS error messages', () => {
    const text = scrubSecrets(`bad token ${WEB_IDENTITY} for role ${ROLE}`);
    assert.ok(!text.includes('eyJhbGci'), text);
    assert.match(text, /\[redacted\]/);
    assert.match(text, /arn:aws:iam::123456789012:role\/image-gitops/);
  });

  describe('public ECR tag pages (API_AWS_PAGE_ITEMS_COUNT, API_AWS_PAGE_MAX)', () => {
    it('defaults to 4 pages of 1000 for public.ecr.aws only, as image-operator', () => {
      const paging = publicEcrTagPaging({});
      assert.deepEqual(paging('public.ecr.aws'), { pageSize: 1000, maxPages: 4 });
      assert.equal(paging('quay.io'), undefined);
      assert.deepEqual(
        publicEcrTagPaging({ API_AWS_PAGE_ITEMS_COUNT: '50', API_AWS_PAGE_MAX: '2' })('public.ecr.aws'),
        {
          pageSize: 50,
          maxPages: 2,
        },
      );
      assert.throws(
        () => publicEcrTagPaging({ API_AWS_PAGE_ITEMS_COUNT: '1001' }),
        /API_AWS_PAGE_ITEMS_COUNT.*1 to 1000/,
      );
      assert.throws(() => publicEcrTagPaging({ API_AWS_PAGE_MAX: '0' }), /API_AWS_PAGE_MAX/);
      assert.throws(() => publicEcrTagPaging({ API_AWS_PAGE_MAX: 'four' }), /API_AWS_PAGE_MAX/);
    });

    it('the registry client asks pages of that size and stops after that many, saying so', async () => {
      const all = Array.from({ length: 7 }, (_, i) => `v1.${i}.0`);
      const asked: string[] = [];
      const server = http.createServer((req, res) => {
        asked.push(req.url ?? '');
        const url = new URL(req.url ?? '/', 'http://x');
        const n = Number(url.searchParams.get('n') ?? 100);
        const last = url.searchParams.get('last');
        const start = last ? all.indexOf(last) + 1 : 0;
        const tags = all.slice(start, start + n);
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (start + n < all.length)
          headers.link = `</v2/team/app/tags/list?n=${n}&last=${tags.at(-1)}>; rel="next"`;
        res.writeHead(200, headers).end(JSON.stringify({ name: 'team/app', tags }));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
      try {
        const client = new RegistryClient({
          access: () => ({ tlsVerify: false }),
          tagPaging: (registry) => (registry === host ? { pageSize: 2, maxPages: 2 } : undefined),
        });
        const list = await client.listTagsDetailed({ registry: host, repository: 'team/app' });
        assert.deepEqual(list?.tags, ['v1.0.0', 'v1.1.0', 'v1.2.0', 'v1.3.0']);
        assert.deepEqual(list?.truncated, { reason: 'awsPages', pages: 2, pageSize: 2, tags: 4 });
        assert.deepEqual(asked, ['/v2/team/app/tags/list?n=2', '/v2/team/app/tags/list?n=2&last=v1.1.0']);
        const unbounded = await new RegistryClient({ access: () => ({ tlsVerify: false }) }).listTagsDetailed(
          {
            registry: host,
            repository: 'team/app',
          },
        );
        assert.equal(unbounded?.tags.length, 7);
        assert.equal(unbounded?.truncated, undefined);
      } finally {
        server.close();
      }
    });
  });

  describe('manifests', () => {
    const load = (content: string) => loadManifests([{ path: 'm.yaml', content }]);

    it('image-operator Image: useAwsIRSA on a side becomes that registry with awsEcr', () => {
      const loaded = load(
        [
          'apiVersion: skopeo.io/v1alpha1',
          'kind: Image',
          'metadata: { name: argocd }',
          'spec:',
          '  mode: OneShot',
          '  source: { name: quay.io/argoproj/argocd, version: v2.13.1 }',
          `  destination: { name: ${ECR_HOST}/argocd, version: v2.13.1, useAwsIRSA: true }`,
          '',
        ].join('\n'),
      );
      assert.deepEqual(loaded.invalid, []);
      assert.deepEqual((loaded.manifests[0]!.spec as ImageSyncSpec).registries, [
        { host: ECR_HOST, awsEcr: true },
      ]);
    });

    it('image-operator ImageBuilder: image.useAwsIRSA becomes the push registry with awsEcr', () => {
      const loaded = load(
        [
          'apiVersion: buildah.io/v1alpha1',
          'kind: ImageBuilder',
          'metadata: { name: node }',
          'spec:',
          `  image: { name: ${ECR_HOST}/node, version: 22-updated, useAwsIRSA: true }`,
          '  source: |',
          '    FROM node:22',
          '',
        ].join('\n'),
      );
      assert.deepEqual(loaded.invalid, []);
      assert.deepEqual((loaded.manifests[0]!.spec as ImageBuildSpec).registries, [
        { host: ECR_HOST, awsEcr: true },
      ]);
      assert.deepEqual(awsIrsaRegistries([{ name: 'nginx', useAwsIRSA: false }]), []);
    });

    it('native ImageSync: registries[].awsEcr, not together with credentialsSecret', () => {
      const doc = (entry: string) =>
        [
          'apiVersion: image-gitops.io/v1alpha1',
          'kind: ImageSync',
          'metadata: { name: app }',
          'spec:',
          '  source: { image: quay.io/team/app, tag: "1.0" }',
          `  destination: { image: ${ECR_HOST}/team/app }`,
          `  registries: [${entry}]`,
          '',
        ].join('\n');
      assert.deepEqual(load(doc(`{ host: ${ECR_HOST}, awsEcr: true }`)).invalid, []);
      const both = load(doc(`{ host: ${ECR_HOST}, awsEcr: true, credentialsSecret: ecr }`));
      assert.equal(both.manifests.length, 0);
      assert.deepEqual(
        both.invalid[0]?.problems.map((p) => [p.location?.field, p.message]),
        [['/spec/registries/0/awsEcr', 'must be false']],
        'awsEcr next to a credentialsSecret is refused at its field',
      );
      assert.deepEqual(load(doc(`{ host: ${ECR_HOST}, awsEcr: false, credentialsSecret: ecr }`)).invalid, []);
    });
  });

  describe('observe and render: the Jobs get the token, re-rendered when near expiry', () => {
    let emulator: AwsEmulator;
    let clock: Clock;
    let tokens: EcrTokenSource;
    beforeEach(async () => {
      clock = new Clock();
      emulator = await startAwsEmulator({
        webIdentityToken: WEB_IDENTITY,
        roleArn: ROLE,
        passwords: PASSWORDS,
        now: clock.now,
      });
      const tokenFile = join(makeTempDir('irsa'), 'token');
      writeFileSync(tokenFile, WEB_IDENTITY);
      tokens = new EcrTokenSource({ env: irsaEnv(emulator, tokenFile), now: clock.now });
    });
    afterEach(async () => {
      tokens.close();
      await emulator.stop();
    });
    const fakeAccess = (_clock: Clock) => ({
      access: { tokens, tagPaging: () => undefined } as AwsEcrAccess,
      fetched: () => emulator.issued.length,
    });

    function context(access: AwsEcrAccess, settings: Settings = DEFAULT_SETTINGS): ObserveContext {
      return {
        namespace: 'team',
        settings,
        live: [],
        readSecret: async () => undefined,
        listObjects: async () => [],
        awsEcr: access,
      };
    }

    function authJson(objects: Array<{ kind: string; data?: unknown }>): string {
      const secret = objects.find((o) => o.kind === 'Secret');
      return Buffer.from(
        ((secret?.data ?? {}) as Record<string, string>)['auth.json'] ?? '',
        'base64',
      ).toString();
    }

    it('ImageSync (Recurrent): the CronJob authfile Secret holds AWS:<token>, and a new one once near expiry', async () => {
      const { access, fetched } = fakeAccess(clock);
      const m: Manifest<ImageSyncSpec> = {
        key: 'ImageSync/team/app',
        kind: 'ImageSync',
        name: 'app',
        namespace: 'team',
        spec: {
          source: { image: 'quay.io/team/app', tag: '1.0' },
          destination: { image: `${ECR_HOST}/team/app` },
          schedule: '1h',
          registries: [{ host: ECR_HOST, awsEcr: true }],
        },
        origin: { file: 'app.yaml', line: 1, apiVersion: 'image-gitops.io/v1alpha1', kind: 'ImageSync' },
      };
      const first = await kindRound(imageSyncKind, m, context(access));
      const auth = JSON.parse(authJson(first.objects)) as { auths: Record<string, { auth: string }> };
      assert.equal(Buffer.from(auth.auths[ECR_HOST]!.auth, 'base64').toString(), `AWS:${PASSWORDS[0]}`);
      const cronJob = first.objects.find((o) => o.kind === 'CronJob');
      assert.ok(cronJob);
      for (const object of first.objects.filter((o) => o.kind !== 'Secret'))
        assert.ok(!JSON.stringify(object).includes(PASSWORDS[0]!), `${object.kind} holds no token`);
      assert.ok(!first.observed.message.includes(PASSWORDS[0]!));

      clock.ms += 5 * HOUR;
      const same = await kindRound(imageSyncKind, m, context(access));
      assert.equal(
        authJson(same.objects),
        authJson(first.objects),
        'fresh token: same Secret, nothing to apply',
      );
      clock.ms += HOUR + 1; // less than 6 h left
      const renewed = await kindRound(imageSyncKind, m, context(access));
      assert.notEqual(authJson(renewed.objects), authJson(first.objects), 're-rendered before expiry');
      assert.match(
        authJson(renewed.objects),
        new RegExp(Buffer.from(`AWS:${PASSWORDS[1]}`).toString('base64')),
      );
      assert.deepEqual(
        renewed.objects.find((o) => o.kind === 'CronJob'),
        cronJob,
        'the CronJob itself is unchanged: it mounts the Secret',
      );
      assert.equal(fetched(), 2);
    });

    it('SYNC_REGISTRIES entries with awsEcr apply to every manifest; a manifest credentialsSecret wins', async () => {
      const { access } = fakeAccess(clock);
      const settings: Settings = {
        ...DEFAULT_SETTINGS,
        registries: [{ host: ECR_HOST, awsEcr: true } as RegistryDefaults],
      };
      const m: Manifest<ImageSyncSpec> = {
        key: 'ImageSync/team/app',
        kind: 'ImageSync',
        name: 'app',
        namespace: 'team',
        spec: {
          source: { image: 'quay.io/team/app', tag: '1.0' },
          destination: { image: `${ECR_HOST}/team/app` },
          schedule: '1h',
        },
        origin: { file: 'app.yaml', line: 1, apiVersion: 'image-gitops.io/v1alpha1', kind: 'ImageSync' },
      };
      const round = await kindRound(imageSyncKind, m, context(access, settings));
      assert.match(authJson(round.objects), new RegExp(ECR_HOST.replace(/\./g, '\\.')));
      const own = { ...m, spec: { ...m.spec, registries: [{ host: ECR_HOST, credentialsSecret: 'mine' }] } };
      await assert.rejects(kindRound(imageSyncKind, own, context(access, settings)), /Secret team\/mine/);
    });

    it('ImageBuild: the push registry with awsEcr gets the token into the build authfile', async () => {
      const { access } = fakeAccess(clock);
      const m: Manifest<ImageBuildSpec> = {
        key: 'ImageBuild/team/node',
        kind: 'ImageBuild',
        name: 'node',
        namespace: 'team',
        spec: {
          image: `${ECR_HOST}/node`,
          tag: '22',
          inline: 'FROM node:22\n',
          architectures: ['amd64'],
          registries: [{ host: ECR_HOST, awsEcr: true }],
        },
        origin: { file: 'node.yaml', line: 1, apiVersion: 'image-gitops.io/v1alpha1', kind: 'ImageBuild' },
      };
      const observed = await imageBuildKind.observe!(m, context(access));
      assert.equal(
        Buffer.from(observed.authFile?.auths[ECR_HOST]?.auth ?? '', 'base64').toString(),
        `AWS:${PASSWORDS[0]}`,
      );
    });
  });
});
