import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Push webhooks from Git forges, checked against a shared secret. Pure functions over headers and the raw
 * body: the HTTP layer reads the (size-bounded) body and acts on the decision.
 *
 * - GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`, event in `X-GitHub-Event`.
 * - GitLab: `X-Gitlab-Token: <the secret>`, event in `X-Gitlab-Event` ("Push Hook").
 * - Gitea / Gogs: `X-Gitea-Signature` / `X-Gogs-Signature: <hex HMAC-SHA256>`, event in `X-Gitea-Event` /
 *   `X-Gogs-Event`. Gitea also sends GitHub's and Gogs' headers, so it is recognised first.
 */
export type WebhookProvider = 'github' | 'gitlab' | 'gitea' | 'gogs';

export type WebhookHeaders = Record<string, string | string[] | undefined>;

export type WebhookDecision =
  | { action: 'trigger'; provider: WebhookProvider; ref?: string; status: 202 }
  | { action: 'ignore'; provider: WebhookProvider; reason: string; status: 200 }
  | { action: 'reject'; provider?: WebhookProvider; reason: string; status: 400 | 401 };

export interface WebhookInput {
  headers: WebhookHeaders;
  body: Buffer;
  secret: string;
  /** The ref the reconciler follows (`main`, `refs/heads/main`, a tag, or a commit): pushes elsewhere are ignored. */
  ref?: string;
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Equality whose time depends neither on where the inputs differ nor (hashed first) on their lengths. */
export function constantTimeEqual(a: string | Buffer, b: string | Buffer): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

export function hmacSha256Hex(body: Buffer, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

export function verifyGithubSignature(body: Buffer, secret: string, signature: string | undefined): boolean {
  if (!signature?.startsWith('sha256=')) return false;
  return constantTimeEqual(signature.slice('sha256='.length).toLowerCase(), hmacSha256Hex(body, secret));
}

export function verifyGitlabToken(secret: string, token: string | undefined): boolean {
  if (token === undefined) return false;
  return constantTimeEqual(token, secret);
}

/** Gitea and Gogs: the bare hex HMAC-SHA256 of the body. */
export function verifyGiteaSignature(body: Buffer, secret: string, signature: string | undefined): boolean {
  if (!signature) return false;
  return constantTimeEqual(signature.trim().toLowerCase(), hmacSha256Hex(body, secret));
}

export function detectProvider(headers: WebhookHeaders): WebhookProvider | undefined {
  if (header(headers, 'x-gitea-event') !== undefined) return 'gitea';
  if (header(headers, 'x-gogs-event') !== undefined) return 'gogs';
  if (header(headers, 'x-gitlab-event') !== undefined || header(headers, 'x-gitlab-token') !== undefined)
    return 'gitlab';
  if (header(headers, 'x-github-event') !== undefined) return 'github';
  return undefined;
}

function verify(provider: WebhookProvider, input: WebhookInput): boolean {
  const { headers, body, secret } = input;
  switch (provider) {
    case 'github':
      return verifyGithubSignature(body, secret, header(headers, 'x-hub-signature-256'));
    case 'gitlab':
      return verifyGitlabToken(secret, header(headers, 'x-gitlab-token'));
    case 'gitea':
      return verifyGiteaSignature(body, secret, header(headers, 'x-gitea-signature'));
    case 'gogs':
      return verifyGiteaSignature(body, secret, header(headers, 'x-gogs-signature'));
  }
}

function eventOf(provider: WebhookProvider, headers: WebhookHeaders): string {
  const name = {
    github: 'x-github-event',
    gitlab: 'x-gitlab-event',
    gitea: 'x-gitea-event',
    gogs: 'x-gogs-event',
  }[provider];
  return header(headers, name) ?? '';
}

export function isPushEvent(provider: WebhookProvider, event: string): boolean {
  return provider === 'gitlab' ? event === 'Push Hook' : event === 'push';
}

/** The `ref` of a push payload (`refs/heads/main`), when the body is JSON and has one. */
export function pushedRef(body: Buffer): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (parsed && typeof parsed === 'object' && typeof (parsed as { ref?: unknown }).ref === 'string') {
      return (parsed as { ref: string }).ref;
    }
  } catch {
    // not JSON (a form-encoded GitHub payload): the ref is unknown, and an unknown ref triggers
  }
  return undefined;
}

/** Whether a push to `pushed` can change what the reconciler follows at `configured`. */
export function refMatches(pushed: string, configured: string): boolean {
  // A pinned commit never moves; a push cannot change it, but a sync is cheap and harmless.
  if (/^[0-9a-f]{7,40}$/i.test(configured)) return true;
  if (configured.startsWith('refs/')) return pushed === configured;
  return pushed === `refs/heads/${configured}` || pushed === `refs/tags/${configured}`;
}

export function decideWebhook(input: WebhookInput): WebhookDecision {
  const provider = detectProvider(input.headers);
  if (!provider) {
    return {
      action: 'reject',
      status: 400,
      reason: 'not a GitHub, GitLab, Gitea or Gogs webhook (no event header)',
    };
  }
  if (!verify(provider, input)) {
    return {
      action: 'reject',
      provider,
      status: 401,
      reason: `${provider} signature or token does not match`,
    };
  }
  const event = eventOf(provider, input.headers);
  if (!isPushEvent(provider, event)) {
    return { action: 'ignore', provider, status: 200, reason: `event "${event}" is not a push` };
  }
  const ref = pushedRef(input.body);
  if (ref !== undefined && input.ref && !refMatches(ref, input.ref)) {
    return { action: 'ignore', provider, status: 200, reason: `push to ${ref}, not to ${input.ref}` };
  }
  return ref === undefined
    ? { action: 'trigger', provider, status: 202 }
    : { action: 'trigger', provider, ref, status: 202 };
}
