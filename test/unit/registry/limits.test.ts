// The registry bounds as the operator sets them (environment), with their documented defaults.
import assert from 'node:assert/strict';
import { applyRetryBudgetMs, DEFAULT_APPLY_RETRY_BUDGET_MS } from '../../../src/apply/retry.js';
import {
  DEFAULT_REGISTRY_LIMITS,
  isRegistryHost,
  parseTokenHosts,
  registryLimitsFromEnv,
  WaitBudget,
} from '../../../src/registry/limits.js';

describe('registry limits', () => {
  it('has documented defaults: 10 s connect, 30 s per answer, 120 s per observe, 10 s longest Retry-After', () => {
    const limits = registryLimitsFromEnv({});
    assert.deepEqual(limits, DEFAULT_REGISTRY_LIMITS);
    assert.equal(limits.connectTimeoutMs, 10_000);
    assert.equal(limits.requestTimeoutMs, 30_000);
    assert.equal(limits.observeTimeoutMs, 120_000);
    assert.equal(limits.maxRetryAfterMs, 10_000);
    assert.equal(limits.retryWaitBudgetMs, 60_000);
    assert.equal(limits.maxRetries, 3);
    assert.equal(applyRetryBudgetMs({}), DEFAULT_APPLY_RETRY_BUDGET_MS);
  });

  it('reads each bound from the environment and refuses values that are not positive numbers', () => {
    const limits = registryLimitsFromEnv({
      REGISTRY_CONNECT_TIMEOUT_SECONDS: '2',
      REGISTRY_REQUEST_TIMEOUT_SECONDS: '5.5',
      OBSERVE_TIMEOUT_SECONDS: '20',
      REGISTRY_MAX_RETRIES: '0',
      REGISTRY_MAX_RETRY_AFTER_SECONDS: '1',
      REGISTRY_RETRY_WAIT_BUDGET_SECONDS: '3',
    });
    assert.equal(limits.connectTimeoutMs, 2000);
    assert.equal(limits.requestTimeoutMs, 5500);
    assert.equal(limits.observeTimeoutMs, 20_000);
    assert.equal(limits.maxRetries, 0);
    assert.throws(
      () => registryLimitsFromEnv({ OBSERVE_TIMEOUT_SECONDS: '0' }),
      /OBSERVE_TIMEOUT_SECONDS must be a positive/,
    );
    assert.throws(
      () => registryLimitsFromEnv({ REGISTRY_REQUEST_TIMEOUT_SECONDS: 'soon' }),
      /positive number/,
    );
    assert.throws(() => registryLimitsFromEnv({ REGISTRY_MAX_RETRIES: '-1' }), /non-negative integer/);
    assert.throws(
      () => applyRetryBudgetMs({ APPLY_RETRY_BUDGET_SECONDS: 'x' }),
      /APPLY_RETRY_BUDGET_SECONDS/,
    );
  });

  it('reads REGISTRY_TOKEN_HOSTS as hosts for every registry or registry=host pairs, and refuses anything else', () => {
    const hosts = parseTokenHosts('auth.example.com, registry.gitlab.com=gitlab.com,10.0.0.1:5001');
    assert.deepEqual(hosts.get('*'), ['auth.example.com', '10.0.0.1:5001']);
    assert.deepEqual(hosts.get('registry.gitlab.com'), ['gitlab.com']);
    assert.throws(() => parseTokenHosts('evil host'), /REGISTRY_TOKEN_HOSTS/);
    assert.throws(() => parseTokenHosts('https://auth.example.com/token'), /REGISTRY_TOKEN_HOSTS/);
  });

  it('takes registry hosts as host[:port] only', () => {
    for (const ok of ['quay.io', 'registry-1.docker.io', '127.0.0.1:5000', 'localhost', '[::1]:5000'])
      assert.ok(isRegistryHost(ok), ok);
    for (const bad of ['a;b.io', 'a`b`.io', 'a b.io', 'a.io\n', 'a.io/x', 'a.io:port', '-a.io', ''])
      assert.ok(!isRegistryHost(bad), JSON.stringify(bad));
  });

  it('gives out a wait budget until it is spent', () => {
    const budget = new WaitBudget(1500);
    assert.equal(budget.take(1000), true);
    assert.equal(budget.take(1000), false);
    assert.equal(budget.take(500), true);
    assert.equal(budget.remaining(), 0);
  });
});
