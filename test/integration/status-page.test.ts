// The status page in a real headless Chromium (Debian's), after real syncs of `image-gitops run` against the
// real API server and git server: it asks for the token, lists the manifests with their results, shows a
// failing manifest's file:line problem linked to the repo's web view, shows two syncs in the history,
// filters by kind, result and text, reloads itself, sends no request off its origin, runs under a CSP that
// allows no script, and shows no Secret value. A screenshot is saved under test-artifacts/ (git-ignored).
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { USABLE_BY_MANIFESTS_LABEL } from '../../src/core/labels.js';
import type { SyncReport } from '../../src/status/types.js';
import { startBrowser, type TestBrowser } from '../support/browser.js';
import { type EngineHarness, prepullManifest, startEngine } from '../support/engine-harness.js';
import { waitFor } from '../support/processes.js';
import { type ReconcilerProcess, startReconcilerProcess } from '../support/reconciler-process.js';
import { makeTempDir } from '../support/tmp.js';

const PAGE_TOKEN = 'page-token-7f1c2e9a';
const WEBHOOK_SECRET = 'webhook-secret-3d8b41';
const GIT_PASSWORD = 'git-password-a91f03';
const PULL_SECRET_VALUE = 'pull-secret-value-c4e7d2';
const SOURCE_URL = 'https://git.example.com/org/config/blob/{commit}/{path}#L{line}';
const ARTIFACTS = join(process.cwd(), 'test-artifacts');

// Invalid twice over: a misspelt field, and one whose name is markup (the page must show it as text).
const HOSTILE = '<img src=https://evil.example/x.png>';
const broken = `${prepullManifest('web', { nginx: 'nginx:1.27' }).replace('images:', 'imagez:')}  "${HOSTILE}": 1\n`;

async function manifests(page: Page): Promise<Array<[string, string]>> {
  return page.$$eval('section.manifest', (sections) =>
    sections.map((s) => [s.getAttribute('data-key') ?? '', s.getAttribute('data-result') ?? '']),
  ) as Promise<Array<[string, string]>>;
}

describe('the status page in headless Chromium', function () {
  this.timeout(240_000);
  let h: EngineHarness | undefined;
  let reconciler: ReconcilerProcess | undefined;
  let follower: ReconcilerProcess | undefined;
  let chrome: TestBrowser | undefined;

  afterEach(async () => {
    // Every part is stopped even when another's stop fails; the first failure is then reported.
    const stops = await Promise.allSettled([chrome?.close(), follower?.stop(), reconciler?.stop()]);
    await h?.close();
    const failed = stops.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
  });

  it('shows what the syncs did, filters, refreshes itself, and stays on its origin with no script', async () => {
    h = await startEngine({
      'tools.yaml': prepullManifest(
        'tools',
        { busybox: 'busybox:1.36' },
        '  imagePullSecrets: [quay-pull]\n',
      ),
      'web.yaml': broken,
    });
    await h.cp.kubeApi.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'quay-pull',
        namespace: h.namespace,
        labels: { [USABLE_BY_MANIFESTS_LABEL]: 'true' },
      },
      type: 'kubernetes.io/dockerconfigjson',
      stringData: {
        '.dockerconfigjson': JSON.stringify({ auths: { 'quay.io': { auth: PULL_SECRET_VALUE } } }),
      },
    });
    const secrets = makeTempDir('page-secrets');
    writeFileSync(join(secrets, 'token'), `${PAGE_TOKEN}\n`);
    const gitUrl = new URL(h.config.git.url);
    gitUrl.username = 'gitops';
    gitUrl.password = GIT_PASSWORD;
    const env = {
      GIT_URL: gitUrl.toString(),
      WEBHOOK_SECRET,
      STATUS_PAGE_TOKEN_FILE: join(secrets, 'token'),
      STATUS_PAGE_SOURCE_URL: SOURCE_URL,
      STATUS_PAGE_REFRESH_SECONDS: '4',
      LEASE_NAME: 'status-page-test',
    };
    reconciler = await startReconcilerProcess(h, env);
    const base = reconciler.base;
    const bearer = { authorization: `Bearer ${PAGE_TOKEN}` };
    const statusOf = async () =>
      (await (await fetch(`${base}/status`, { headers: bearer })).json()) as SyncReport;
    assert.equal((await fetch(`${base}/status`)).status, 401, '/status needs the page token');
    const first = await statusOf();
    assert.equal(first.trigger, 'startup');

    // A second sync at a new commit, by hand.
    const second = await h.git.commitFiles(
      h.repo,
      { 'cache.yaml': prepullManifest('cache', { redis: 'redis:7' }) },
      'add the cache prepull',
      { name: 'Grace Hopper', email: 'grace@example.com' },
    );
    const triggered = await fetch(`${base}/sync`, {
      method: 'POST',
      headers: { authorization: `Bearer ${WEBHOOK_SECRET}` },
    });
    assert.equal(triggered.status, 202);
    const report = await waitFor(
      async () => {
        const r = await statusOf();
        return r.commit?.sha === second ? r : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: 'the second sync' },
    );
    const expected = Object.fromEntries(report.manifests.map((m) => [m.key, m.result]));
    assert.deepEqual(expected, {
      'ImagePrepull/cache': 'Applied',
      'ImagePrepull/tools': 'Unchanged',
      'ImagePrepull/web': 'Invalid',
    });

    chrome = await startBrowser();
    const context = await chrome.browser.newContext();
    const page = await context.newPage();
    const requests: string[] = [];
    context.on('request', (r) => requests.push(r.url()));
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });

    // Signed out: the sign-in form; a wrong token is refused, the right one opens the page.
    const signIn = await page.goto(`${base}/`);
    assert.equal(signIn?.status(), 401);
    await page.fill('#token', 'not-the-token');
    await page.click('#sign-in');
    assert.match((await page.textContent('body')) ?? '', /wrong token/);
    await page.fill('#token', PAGE_TOKEN);
    await Promise.all([page.waitForURL(`${base}/`), page.click('#sign-in')]);
    const response = await page.reload();
    assert.equal(response?.status(), 200);

    // The policy: no script of any kind, the one style sheet by its hash (and it applies).
    const csp = response?.headers()['content-security-policy'] ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /style-src 'sha256-[A-Za-z0-9+/=]+'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|script-src/);
    assert.equal(await page.locator('script').count(), 0);
    const invalidBadge = page.locator('section.manifest[data-key="ImagePrepull/web"] .badge.Invalid');
    assert.equal(
      await invalidBadge.evaluate((e) => getComputedStyle(e).backgroundColor),
      'rgb(251, 213, 213)',
      'the hashed style sheet is applied',
    );
    assert.equal(await page.getAttribute('meta[http-equiv="refresh"]', 'content'), '4');

    // Every manifest with the result of the sync.
    assert.deepEqual(Object.fromEntries(await manifests(page)), expected);
    // The failing one: its file:line problem, linked to the repo at the synced commit.
    const web = page.locator('section.manifest[data-key="ImagePrepull/web"]');
    const problem = (await web.locator('li.problem').first().textContent()) ?? '';
    assert.match(problem, /^web\.yaml:6:3 \/spec\/images: required field is missing \[SCHEMA\]$/);
    assert.equal(
      await web.locator('li.problem a.source').first().getAttribute('href'),
      `https://git.example.com/org/config/blob/${second}/web.yaml#L6`,
    );
    // Text from the repo is text, never markup.
    assert.match((await web.textContent()) ?? '', new RegExp(HOSTILE.replace(/[.]/g, '\\.')));
    assert.equal(await page.locator('img').count(), 0);
    // Objects with their health; the commit and author.
    const tools = page.locator('section.manifest[data-key="ImagePrepull/tools"]');
    assert.match((await tools.locator('tr.object').first().textContent()) ?? '', /DaemonSet .*tools/);
    assert.match(
      (await page.locator('#last-sync').textContent()) ?? '',
      /by Grace Hopper: add the cache prepull/,
    );
    // The history: the start-up sync and the manual one, newest first.
    const history = await page.$$eval('#history tr.sync', (rows) =>
      rows.map((r) => [...r.querySelectorAll('td')].slice(1, 5).map((td) => td.textContent ?? '')),
    );
    assert.deepEqual(history, [
      ['PartiallyFailed', 'manual', second.slice(0, 12), 'Grace Hopper'],
      ['PartiallyFailed', 'startup', first.commit!.sha.slice(0, 12), 'Test Author'],
    ]);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'status-page.png'), fullPage: true });

    // Filters: by result, by kind, by text; each a form the page submits to itself.
    await page.selectOption('#filter-result', 'failing');
    await Promise.all([page.waitForURL(/result=failing/), page.click('#filter-apply')]);
    assert.deepEqual(await manifests(page), [['ImagePrepull/web', 'Invalid']]);
    await page.goto(`${base}/?kind=ImageSync`);
    assert.deepEqual(await manifests(page), []);
    await page.goto(`${base}/`);
    await page.fill('#filter-text', 'CACHE.YAML');
    await Promise.all([page.waitForURL(/q=CACHE/), page.click('#filter-apply')]);
    assert.deepEqual(await manifests(page), [['ImagePrepull/cache', 'Applied']]);
    assert.equal(await page.inputValue('#filter-text'), 'CACHE.YAML', 'the filter stays filled in');

    // It reloads itself: a third sync shows up with no action in the page.
    await page.goto(`${base}/`);
    const third = await h.git.commitFiles(
      h.repo,
      { 'web.yaml': prepullManifest('web', { nginx: 'nginx:1.27' }) },
      'fix web',
    );
    await fetch(`${base}/sync`, { method: 'POST', headers: { authorization: `Bearer ${WEBHOOK_SECRET}` } });
    await page.waitForSelector('section.manifest[data-key="ImagePrepull/web"][data-result="Applied"]', {
      timeout: 60_000,
    });
    assert.equal(await page.locator('#history tr.sync').count(), 3);
    assert.match((await page.locator('#last-sync').textContent()) ?? '', new RegExp(third.slice(0, 12)));

    // Nothing left the page's origin, and nothing it shows is a secret.
    assert.ok(requests.length >= 8, requests.join('\n'));
    assert.deepEqual(
      requests.filter((u) => new URL(u).origin !== base),
      [],
    );
    assert.deepEqual(
      consoleErrors.filter((e) => /Content Security Policy/.test(e)),
      [],
    );
    const html = await page.content();
    for (const secret of [PAGE_TOKEN, WEBHOOK_SECRET, GIT_PASSWORD, PULL_SECRET_VALUE]) {
      assert.ok(!html.includes(secret), `the page shows ${secret}`);
      assert.ok(!html.includes(Buffer.from(secret).toString('base64').slice(0, 16)));
    }
    assert.match(html, /quay-pull|tools/);
    await context.close();

    // A follower (where a port-forward to the Service may land) shows the status the leader stored.
    follower = await startReconcilerProcess(h, env);
    const followerPage = await fetch(`${follower.base}/`, { headers: bearer });
    assert.equal(followerPage.status, 200);
    const followerHtml = await followerPage.text();
    assert.match(followerHtml, /this replica is a follower: the leader syncs; shown: the status stored at/);
    assert.deepEqual(
      [...followerHtml.matchAll(/data-key="([^"]+)" data-kind="[^"]+" data-result="([^"]+)"/g)].map((m) => [
        m[1],
        m[2],
      ]),
      [
        ['ImagePrepull/cache', 'Unchanged'],
        ['ImagePrepull/tools', 'Unchanged'],
        ['ImagePrepull/web', 'Unchanged'],
      ],
    );
    assert.equal([...followerHtml.matchAll(/<tr class="sync"/g)].length, 3);
    assert.equal((await fetch(`${follower.base}/`)).status, 401, 'the follower asks for the token too');
  });
});
