// A loopback stand-in for the two AWS calls behind ECR credentials, answering as AWS documents them:
// - STS `AssumeRoleWithWebIdentity`: the Query API (POST form `Action=AssumeRoleWithWebIdentity&Version=2011-06-15
//   &RoleArn=..&RoleSessionName=..&WebIdentityToken=..`, unsigned), answered with the documented XML;
// - ECR `GetAuthorizationToken`: JSON 1.1 (`X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken`,
//   `Content-Type: application/x-amz-json-1.1`), which must be SigV4-signed with the key, secret and session
//   token that STS handed out: the signature is recomputed here and a mismatch is refused as AWS does (403).
// So a token reaches the caller only through the whole chain: web identity token file → STS → signed ECR call.
// Used by the real AWS SDK v3 in test/unit/registry/ecr*.test.ts and test/integration/ecr-irsa.test.ts.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AwsEmulatorOptions {
  /** The web identity token STS accepts (the content of AWS_WEB_IDENTITY_TOKEN_FILE). */
  webIdentityToken: string;
  roleArn: string;
  /** Registry passwords handed out, in order (the last one repeats). `AWS:<password>` base64 is the token. */
  passwords: string[];
  /** Lifetime of each ECR token, default 12 h (AWS's). */
  tokenLifetimeMs?: number;
  /** The emulator's clock (epoch ms), for expiresAt; default Date.now. */
  now?: () => number;
  /** Lifetime of the STS credentials, default 1 h. */
  sessionLifetimeMs?: number;
}

export interface AwsCall {
  service: 'sts' | 'ecr';
  action: string;
  status: number;
}

export interface AwsEmulator {
  url: string;
  calls: AwsCall[];
  /** Passwords handed out so far. */
  issued: string[];
  /** Sessions STS issued (access key ids). */
  sessions: string[];
  stop(): Promise<void>;
}

interface Session {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expires: number;
}

const hmac = (key: Buffer | string, text: string): Buffer => createHmac('sha256', key).update(text).digest();
const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

/** RFC 3986 encoding as SigV4 wants it. */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Recomputes a SigV4 signature (AWS's documented algorithm) of an incoming request. */
export function sigV4Signature(
  req: { method: string; path: string; headers: http.IncomingHttpHeaders },
  body: Buffer,
  secretAccessKey: string,
  credentialScope: string,
  signedHeaders: string[],
): string {
  const [pathPart, queryPart = ''] = req.path.split('?');
  const query = queryPart
    .split('&')
    .filter(Boolean)
    .map((p) => p.split('=').map((x) => uriEncode(decodeURIComponent(x ?? ''))) as [string, string?])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v ?? ''}`)
    .join('&');
  const headerValue = (name: string): string => {
    const value = req.headers[name];
    return (Array.isArray(value) ? value.join(',') : (value ?? '')).trim().replace(/\s+/g, ' ');
  };
  const canonical = [
    req.method,
    pathPart || '/',
    query,
    ...signedHeaders.map((h) => `${h}:${headerValue(h)}`),
    '',
    signedHeaders.join(';'),
    (req.headers['x-amz-content-sha256'] as string | undefined) ?? sha256(body),
  ].join('\n');
  const amzDate = headerValue('x-amz-date');
  const toSign = ['AWS4-HMAC-SHA256', amzDate, credentialScope, sha256(canonical)].join('\n');
  const [date = '', region = '', service = ''] = credentialScope.split('/');
  const key = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, date), region), service), 'aws4_request');
  return createHmac('sha256', key).update(toSign).digest('hex');
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const xmlEscape = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function stsError(code: string, message: string): string {
  return (
    '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>' +
    `<Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error>` +
    `<RequestId>${randomBytes(8).toString('hex')}</RequestId></ErrorResponse>`
  );
}

export async function startAwsEmulator(options: AwsEmulatorOptions): Promise<AwsEmulator> {
  const now = options.now ?? Date.now;
  const sessions = new Map<string, Session>();
  const calls: AwsCall[] = [];
  const issued: string[] = [];
  const sessionIds: string[] = [];

  const sts = (res: http.ServerResponse, body: Buffer): boolean => {
    const form = new URLSearchParams(body.toString('utf8'));
    const action = form.get('Action') ?? '';
    const send = (status: number, xml: string) => {
      calls.push({ service: 'sts', action, status });
      res.writeHead(status, { 'content-type': 'text/xml' }).end(xml);
      return true;
    };
    if (action !== 'AssumeRoleWithWebIdentity' || form.get('Version') !== '2011-06-15')
      return send(400, stsError('InvalidAction', `unsupported action ${action}`));
    if (form.get('RoleArn') !== options.roleArn)
      return send(403, stsError('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity'));
    if (form.get('WebIdentityToken') !== options.webIdentityToken)
      return send(400, stsError('InvalidIdentityToken', 'Incorrect token audience'));
    const session: Session = {
      accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(60).toString('base64'),
      expires: Date.now() + (options.sessionLifetimeMs ?? 3600_000),
    };
    sessions.set(session.accessKeyId, session);
    sessionIds.push(session.accessKeyId);
    const sessionName = form.get('RoleSessionName') ?? '';
    return send(
      200,
      '<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">' +
        '<AssumeRoleWithWebIdentityResult>' +
        '<SubjectFromWebIdentityToken>system:serviceaccount:image-gitops:image-gitops</SubjectFromWebIdentityToken>' +
        '<Audience>sts.amazonaws.com</Audience>' +
        `<AssumedRoleUser><Arn>${xmlEscape(options.roleArn.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/'))}/${xmlEscape(sessionName)}</Arn>` +
        `<AssumedRoleId>AROA${randomBytes(8).toString('hex').toUpperCase()}:${xmlEscape(sessionName)}</AssumedRoleId></AssumedRoleUser>` +
        `<Credentials><SessionToken>${session.sessionToken}</SessionToken>` +
        `<SecretAccessKey>${session.secretAccessKey}</SecretAccessKey>` +
        `<Expiration>${new Date(session.expires).toISOString()}</Expiration>` +
        `<AccessKeyId>${session.accessKeyId}</AccessKeyId></Credentials>` +
        '<Provider>arn:aws:iam::123456789012:oidc-provider/oidc.eks.example</Provider>' +
        '</AssumeRoleWithWebIdentityResult>' +
        `<ResponseMetadata><RequestId>${randomBytes(8).toString('hex')}</RequestId></ResponseMetadata>` +
        '</AssumeRoleWithWebIdentityResponse>',
    );
  };

  const ecr = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): boolean => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const action = target.replace(/^AmazonEC2ContainerRegistry_V20150921\./, '');
    const send = (status: number, json: unknown) => {
      calls.push({ service: 'ecr', action, status });
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(json));
      return true;
    };
    const fail = (status: number, type: string, message: string) => send(status, { __type: type, message });
    if (action !== 'GetAuthorizationToken') return fail(400, 'UnknownOperationException', target);
    if (!String(req.headers['content-type']).startsWith('application/x-amz-json-1.1'))
      return fail(400, 'SerializationException', 'content type');
    const auth =
      /^AWS4-HMAC-SHA256 Credential=([^/]+)\/([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]+)$/.exec(
        String(req.headers.authorization ?? ''),
      );
    if (!auth) return fail(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    const [, keyId = '', scope = '', signed = '', signature = ''] = auth;
    const session = sessions.get(keyId);
    if (!session || session.expires < Date.now())
      return fail(
        403,
        'UnrecognizedClientException',
        'The security token included in the request is invalid.',
      );
    if (req.headers['x-amz-security-token'] !== session.sessionToken)
      return fail(
        403,
        'UnrecognizedClientException',
        'The security token included in the request is invalid.',
      );
    if (!scope.endsWith('/ecr/aws4_request'))
      return fail(403, 'InvalidSignatureException', 'Credential should be scoped to correct service: ecr');
    const expected = sigV4Signature(
      { method: req.method ?? '', path: req.url ?? '/', headers: req.headers },
      body,
      session.secretAccessKey,
      scope,
      signed.split(';'),
    );
    if (expected !== signature)
      return fail(
        403,
        'InvalidSignatureException',
        'The request signature we calculated does not match the signature you provided.',
      );
    const password =
      options.passwords[Math.min(issued.length, options.passwords.length - 1)] ?? 'no-password-configured';
    issued.push(password);
    const region = scope.split('/')[1] ?? 'us-east-1';
    return send(200, {
      authorizationData: [
        {
          authorizationToken: Buffer.from(`AWS:${password}`).toString('base64'),
          expiresAt: (now() + (options.tokenLifetimeMs ?? 12 * 3600_000)) / 1000,
          proxyEndpoint: `https://123456789012.dkr.ecr.${region}.amazonaws.com`,
        },
      ],
    });
  };

  const server = http.createServer((req, res) => {
    readBody(req)
      .then((body) => {
        if (req.method !== 'POST') res.writeHead(405).end();
        else if (req.headers['x-amz-target']) ecr(req, res, body);
        else sts(res, body);
      })
      .catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    issued,
    sessions: sessionIds,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
