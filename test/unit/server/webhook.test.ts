import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import {
  constantTimeEqual,
  decideWebhook,
  refMatches,
  verifyGiteaSignature,
  verifyGithubSignature,
  verifyGitlabToken,
} from '../../../src/server/webhook.js';

const secret = 'correct horse battery staple';
const push = Buffer.from(JSON.stringify({ ref: 'refs/heads/main', after: 'b'.repeat(40) }));

function hmac(body: Buffer, key: string): string {
  return createHmac('sha256', key).update(body).digest('hex');
}

describe('webhook signatures', () => {
  it("accepts the example signature from GitHub's documentation", () => {
    // docs.github.com "Validating webhook deliveries": this secret and payload give this signature.
    const body = Buffer.from('Hello, World!');
    const signature = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    assert.equal(verifyGithubSignature(body, "It's a Secret to Everybody", signature), true);
    assert.equal(
      verifyGithubSignature(Buffer.from('Hello, World?'), "It's a Secret to Everybody", signature),
      false,
    );
  });

  it('refuses a GitHub signature made with another secret, without the sha256= prefix, or missing', () => {
    assert.equal(verifyGithubSignature(push, secret, `sha256=${hmac(push, 'other')}`), false);
    assert.equal(verifyGithubSignature(push, secret, hmac(push, secret)), false);
    assert.equal(verifyGithubSignature(push, secret, undefined), false);
    assert.equal(verifyGithubSignature(push, secret, `sha256=${hmac(push, secret)}`), true);
  });

  it('compares GitLab tokens exactly, whatever their length', () => {
    assert.equal(verifyGitlabToken(secret, secret), true);
    assert.equal(verifyGitlabToken(secret, `${secret} `), false);
    assert.equal(verifyGitlabToken(secret, secret.slice(0, 5)), false);
    assert.equal(verifyGitlabToken(secret, ''), false);
    assert.equal(verifyGitlabToken(secret, undefined), false);
  });

  it('checks Gitea and Gogs signatures as the bare hex HMAC of the body', () => {
    assert.equal(verifyGiteaSignature(push, secret, hmac(push, secret)), true);
    assert.equal(verifyGiteaSignature(push, secret, hmac(push, secret).toUpperCase()), true);
    assert.equal(verifyGiteaSignature(push, secret, `sha256=${hmac(push, secret)}`), false);
    assert.equal(
      verifyGiteaSignature(Buffer.concat([push, Buffer.from(' ')]), secret, hmac(push, secret)),
      false,
    );
  });

  it('constant-time comparison tells equal from different inputs of any length', () => {
    assert.equal(constantTimeEqual('abc', 'abc'), true);
    assert.equal(constantTimeEqual('abc', 'abd'), false);
    assert.equal(constantTimeEqual('abc', 'abcd'), false);
  });
});

describe('webhook decisions', () => {
  it('triggers on a signed GitHub push to the followed branch', () => {
    const decision = decideWebhook({
      headers: { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac(push, secret)}` },
      body: push,
      secret,
      ref: 'main',
    });
    assert.deepEqual(decision, {
      action: 'trigger',
      provider: 'github',
      ref: 'refs/heads/main',
      status: 202,
    });
  });

  it('rejects a GitHub push whose body was changed after signing', () => {
    const tampered = Buffer.from(JSON.stringify({ ref: 'refs/heads/main', after: 'c'.repeat(40) }));
    const decision = decideWebhook({
      headers: { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac(push, secret)}` },
      body: tampered,
      secret,
    });
    assert.equal(decision.action, 'reject');
    assert.equal(decision.status, 401);
  });

  it('acknowledges but does not trigger on a GitHub ping', () => {
    const body = Buffer.from('{"zen":"Keep it logically awesome."}');
    const decision = decideWebhook({
      headers: { 'x-github-event': 'ping', 'x-hub-signature-256': `sha256=${hmac(body, secret)}` },
      body,
      secret,
    });
    assert.equal(decision.action, 'ignore');
    assert.equal(decision.status, 200);
  });

  it('triggers on a GitLab Push Hook with the right token and ignores a Merge Request Hook', () => {
    const pushDecision = decideWebhook({
      headers: { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': secret },
      body: push,
      secret,
    });
    assert.equal(pushDecision.action, 'trigger');
    assert.equal(pushDecision.provider, 'gitlab');
    const mr = decideWebhook({
      headers: { 'x-gitlab-event': 'Merge Request Hook', 'x-gitlab-token': secret },
      body: push,
      secret,
    });
    assert.equal(mr.action, 'ignore');
    const wrong = decideWebhook({
      headers: { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'guess' },
      body: push,
      secret,
    });
    assert.equal(wrong.action, 'reject');
  });

  it('reads a Gitea push as Gitea even though Gitea also sends GitHub and Gogs headers', () => {
    const headers = {
      'x-gitea-event': 'push',
      'x-gogs-event': 'push',
      'x-github-event': 'push',
      'x-gitea-signature': hmac(push, secret),
      'x-gogs-signature': hmac(push, secret),
      // Gitea's GitHub-style header, deliberately wrong here: the Gitea signature is the one checked
      'x-hub-signature-256': 'sha256=00',
    };
    const decision = decideWebhook({ headers, body: push, secret });
    assert.equal(decision.action, 'trigger');
    assert.equal(decision.provider, 'gitea');
  });

  it('checks a Gogs push by X-Gogs-Signature', () => {
    const ok = decideWebhook({
      headers: { 'x-gogs-event': 'push', 'x-gogs-signature': hmac(push, secret) },
      body: push,
      secret,
    });
    assert.equal(ok.provider, 'gogs');
    assert.equal(ok.action, 'trigger');
    const bad = decideWebhook({
      headers: { 'x-gogs-event': 'push', 'x-gogs-signature': hmac(push, 'x') },
      body: push,
      secret,
    });
    assert.equal(bad.action, 'reject');
  });

  it('ignores a verified push to a branch the reconciler does not follow', () => {
    const other = Buffer.from(JSON.stringify({ ref: 'refs/heads/feature' }));
    const decision = decideWebhook({
      headers: { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': secret },
      body: other,
      secret,
      ref: 'main',
    });
    assert.equal(decision.action, 'ignore');
    assert.match(decision.action === 'ignore' ? decision.reason : '', /refs\/heads\/feature/);
  });

  it('refuses a request that names no forge', () => {
    const decision = decideWebhook({ headers: { 'content-type': 'application/json' }, body: push, secret });
    assert.deepEqual([decision.action, decision.status], ['reject', 400]);
  });
});

describe('ref matching', () => {
  it('matches a branch name, a tag name and a full ref', () => {
    assert.equal(refMatches('refs/heads/main', 'main'), true);
    assert.equal(refMatches('refs/tags/v1.2.0', 'v1.2.0'), true);
    assert.equal(refMatches('refs/heads/main', 'refs/heads/main'), true);
    assert.equal(refMatches('refs/heads/mainline', 'main'), false);
    assert.equal(refMatches('refs/tags/main', 'refs/heads/main'), false);
  });

  it('lets every push through when the reconciler is pinned to a commit', () => {
    assert.equal(refMatches('refs/heads/anything', '3f2a9c1d'), true);
  });
});
