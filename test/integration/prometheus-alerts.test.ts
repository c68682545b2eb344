// The dashboard and the alert rules against a real Prometheus (Debian's), scraping `image-gitops run` on the
// real API server with a real registry and git server: the rules pass `promtool check rules`, the chart's
// optional PrometheusRule holds exactly the plain file's rules, every dashboard query returns data, every
// alert expression reads data, and the alerts are inactive until their conditions are made true (a manifest
// invalid, another failing, a copy Job and a build Job failed, a copy pending), then fire.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import type { KubeObject } from '../../src/core/kube-object.js';
import type { SyncReport } from '../../src/status/types.js';
import { type EngineHarness, prepullManifest, startEngine } from '../support/engine-harness.js';
import { failJob } from '../support/job-controller.js';
import { pushTestImage } from '../support/oci-image.js';
import { runCommand, spawnTracked, stopTracked, waitFor } from '../support/processes.js';
import { type ReconcilerProcess, startReconcilerProcess } from '../support/reconciler-process.js';
import { freePort, startRegistry, type TestRegistry } from '../support/registry.js';
import { makeTempDir } from '../support/tmp.js';

const root = process.cwd();
const RULES = join(root, 'deploy', 'prometheus', 'image-gitops-alerts.yaml');
const DASHBOARD = join(root, 'deploy', 'grafana', 'image-gitops-dashboard.json');
const CHART = join(root, 'deploy', 'helm', 'image-gitops');
const WEBHOOK_SECRET = 'prometheus-test-webhook-secret';
const JOB = { apiVersion: 'batch/v1', kind: 'Job' } as const;

interface Rule {
  alert: string;
  expr: string;
  for?: string;
}
interface RuleFile {
  groups: Array<{ name: string; rules: Rule[] }>;
}
interface PromAnswer<T> {
  status: string;
  data: T;
  error?: string;
}
type Vector = {
  resultType: string;
  result: Array<{ metric: Record<string, string>; value: [number, string] }>;
};
type RuleState = {
  groups: Array<{ lastEvaluation: string; rules: Array<{ name: string; state: string; health: string }> }>;
};

const build = `apiVersion: image-gitops.io/v1alpha1
kind: ImageBuild
metadata:
  name: app
spec:
  image: 127.0.0.1:5000/team/app
  tag: v1
  inline: |
    FROM busybox
    RUN echo hello
`;

function imageSync(name: string, registry: TestRegistry, repository: string): string {
  return `apiVersion: image-gitops.io/v1alpha1
kind: ImageSync
metadata:
  name: ${name}
spec:
  mode: OneShot
  source:
    image: ${registry.host}/${repository}
    tag: v1
  destination:
    image: ${registry.host}/mirror/${name}
  registries:
    - host: ${registry.host}
      tlsVerify: false
`;
}

/** The expression without its final comparison: what the alert compares, which must always read data. */
function signalOf(expr: string): string {
  const match = /^(.*?)\s*(==|>|<)\s*[0-9.]+$/s.exec(expr.trim());
  assert.ok(match, `an alert of the form <signal> <op> <number>: ${expr}`);
  return match[1]!;
}

function helmBinary(): string {
  const out = execFileSync('bash', [join(root, 'test', 'kube', 'build-helm.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return out.trim().split('\n').pop()!;
}

describe('dashboard and alerts', function () {
  this.timeout(300_000);
  const rules = parse(readFileSync(RULES, 'utf8')) as RuleFile;
  const alerts = rules.groups.flatMap((g) => g.rules);

  it('pass promtool check rules', async () => {
    const { stdout } = await runCommand('promtool', ['check', 'rules', RULES]);
    assert.match(stdout, new RegExp(`SUCCESS: ${alerts.length} rules found`));
    assert.deepEqual(alerts.map((a) => a.alert).sort(), [
      'ImageGitopsBuildsFailing',
      'ImageGitopsCopiesFailing',
      'ImageGitopsCopiesPendingPastBudget',
      'ImageGitopsManifestsFailed',
      'ImageGitopsManifestsInvalid',
      'ImageGitopsNoLeader',
      'ImageGitopsSourceStale',
      'ImageGitopsSyncFailing',
    ]);
  });

  it("are the chart's PrometheusRule (off by default), whose rules promtool accepts too", async () => {
    const helm = helmBinary();
    const render = (...extra: string[]) =>
      parseAllDocuments(execFileSync(helm, ['template', 'r', CHART, ...extra], { encoding: 'utf8' }))
        .map((d) => d.toJSON() as KubeObject | null)
        .filter((o): o is KubeObject => o !== null);
    assert.equal(render().filter((o) => o.kind === 'PrometheusRule').length, 0, 'off by default');
    const ruleOf = (...extra: string[]) => {
      const found = render('--set', 'prometheusRule.enabled=true', ...extra).filter(
        (o) => o.kind === 'PrometheusRule',
      );
      assert.equal(found.length, 1);
      assert.equal(found[0]!.apiVersion, 'monitoring.coreos.com/v1');
      return found[0]!.spec as RuleFile;
    };
    assert.deepEqual(ruleOf().groups, rules.groups);
    // Budgets come from values.
    const tuned = ruleOf('--set', 'prometheusRule.budgets.buildsFailing=1h');
    const builds = tuned.groups[0]!.rules.find((r) => r.alert === 'ImageGitopsBuildsFailing');
    assert.equal(builds?.for, '1h');
    const file = join(makeTempDir('rules'), 'chart-rules.yaml');
    writeFileSync(file, stringify({ groups: tuned.groups }));
    await runCommand('promtool', ['check', 'rules', file]);
  });

  describe('against a real Prometheus scraping `image-gitops run`', () => {
    let h: EngineHarness | undefined;
    let registry: TestRegistry | undefined;
    let reconciler: ReconcilerProcess | undefined;
    let prometheus: ReturnType<typeof spawnTracked> | undefined;
    after(async () => {
      if (prometheus) await stopTracked(prometheus, { graceMs: 10_000 });
      await reconciler?.stop();
      await h?.close();
      await registry?.stop();
    });

    it('answers every panel query, reads every alert expression, and fires the alerts whose condition is made true', async () => {
      registry = await startRegistry();
      await pushTestImage(registry, 'team/app', 'v1');
      h = await startEngine({
        'build.yaml': build,
        'tools.yaml': prepullManifest('tools', { busybox: 'busybox:1.36' }),
      });
      reconciler = await startReconcilerProcess(h, { WEBHOOK_SECRET, LEASE_DURATION_SECONDS: '15' });
      const status = async () => (await (await fetch(`${reconciler!.base}/status`)).json()) as SyncReport;
      const first = await status();
      assert.equal(first.result, 'Succeeded', JSON.stringify(first.manifests));

      // Prometheus, with the rules as they ship but every `for:` at 0s: the budgets are what a test cannot wait.
      const dir = makeTempDir('prometheus');
      const testRules: RuleFile = {
        groups: rules.groups.map((g) => ({ ...g, rules: g.rules.map((r) => ({ ...r, for: '0s' })) })),
      };
      writeFileSync(join(dir, 'rules.yaml'), stringify(testRules));
      writeFileSync(
        join(dir, 'prometheus.yml'),
        stringify({
          global: { scrape_interval: '1s', evaluation_interval: '1s' },
          rule_files: [join(dir, 'rules.yaml')],
          scrape_configs: [
            { job_name: 'image-gitops', static_configs: [{ targets: [`127.0.0.1:${reconciler.port}`] }] },
          ],
        }),
      );
      const port = await freePort();
      const api = `http://127.0.0.1:${port}`;
      prometheus = spawnTracked('prometheus', [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ]);
      let promLogs = '';
      prometheus.stderr?.on('data', (c: Buffer) => {
        promLogs += c.toString();
      });
      await waitFor(async () => (await fetch(`${api}/-/ready`).catch(() => undefined))?.status === 200, {
        timeoutMs: 60_000,
        intervalMs: 200,
        what: `Prometheus to be ready\n${promLogs}`,
      });
      const query = async (expr: string): Promise<Vector> => {
        const answer = (await (
          await fetch(`${api}/api/v1/query?${new URLSearchParams({ query: expr })}`)
        ).json()) as PromAnswer<Vector>;
        assert.equal(answer.status, 'success', `${expr}: ${answer.error}`);
        return answer.data;
      };
      const ruleStates = async () => {
        const answer = (await (await fetch(`${api}/api/v1/rules`)).json()) as PromAnswer<RuleState>;
        return answer.data.groups[0]!;
      };
      /** Waits for a rule evaluation that started after now, then returns each alert's state. */
      const evaluatedStates = async () => {
        const since = Date.now();
        const group = await waitFor(
          async () => {
            const g = await ruleStates();
            return Date.parse(g.lastEvaluation) > since ? g : undefined;
          },
          { timeoutMs: 30_000, intervalMs: 200, what: 'a rule evaluation' },
        );
        for (const rule of group.rules) assert.equal(rule.health, 'ok', rule.name);
        return Object.fromEntries(group.rules.map((r) => [r.name, r.state]));
      };

      // Scraped: then, before anything is wrong, no alert is active.
      await waitFor(async () => (await query('image_gitops_job_outcomes')).result.length > 0, {
        timeoutMs: 60_000,
        intervalMs: 250,
        what: 'the first scrape',
      });
      assert.deepEqual(
        Object.values(await evaluatedStates()),
        alerts.map(() => 'inactive'),
      );

      // Made true: a copy is pending, a manifest is invalid, another one fails (its source does not exist),
      // and tools.yaml leaves Git (a prune): pushed, and synced on the signed push webhook...
      const sha = await h.git.commitFiles(
        h.repo,
        {
          'sync.yaml': imageSync('app', registry, 'team/app'),
          'web.yaml': prepullManifest('web', { nginx: 'nginx:1.27' }).replace('images:', 'imagez:'),
          'missing.yaml': imageSync('missing', registry, 'team/nothing'),
          'tools.yaml': null,
        },
        'break things',
      );
      const body = JSON.stringify({ ref: 'refs/heads/main', after: sha });
      const pushed = await fetch(`${reconciler.base}/webhook`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'push',
          'x-hub-signature-256': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`,
        },
        body,
      });
      assert.equal(pushed.status, 202);
      const broken = await waitFor(
        async () => {
          const r = await status();
          return r.commit?.sha === sha ? r : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 200, what: 'the sync of the broken commit' },
      );
      assert.equal(broken.result, 'PartiallyFailed');
      assert.equal(broken.counts.pruned, 1);
      const app = broken.manifests.find((m) => m.key === 'ImageSync/app');
      assert.equal((app?.details?.pending as unknown[] | undefined)?.length, 1, JSON.stringify(app));

      // ... then the copy Job and the build Job fail (played through the status subresource: there is no
      // Job controller here), and a manual sync sees it.
      const jobs = await h.kube.list(JOB, h.namespace);
      assert.equal(jobs.length, 2, jobs.map((j) => j.metadata.name).join());
      for (const job of jobs) await failJob(h.cp.kubeApi, job);
      const manual = await fetch(`${reconciler.base}/sync`, {
        method: 'POST',
        headers: { authorization: `Bearer ${WEBHOOK_SECRET}` },
      });
      assert.equal(manual.status, 202);
      const seen = await waitFor(
        async () => {
          const r = await status();
          return r.finishedAt !== broken.finishedAt ? r : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 200, what: 'the manual sync' },
      );
      assert.equal(seen.trigger, 'manual');

      const firing = [
        'ImageGitopsBuildsFailing',
        'ImageGitopsCopiesFailing',
        'ImageGitopsCopiesPendingPastBudget',
        'ImageGitopsManifestsFailed',
        'ImageGitopsManifestsInvalid',
      ];
      await waitFor(
        async () => {
          const states = await ruleStates();
          return firing.every((name) => states.rules.find((r) => r.name === name)?.state === 'firing');
        },
        { timeoutMs: 60_000, intervalMs: 250, what: `${firing.join(', ')} to fire` },
      );
      const states = await evaluatedStates();
      assert.deepEqual(
        Object.entries(states)
          .filter(([, state]) => state === 'firing')
          .map(([name]) => name)
          .sort(),
        firing,
      );
      const answer = (await (await fetch(`${api}/api/v1/alerts`)).json()) as PromAnswer<{
        alerts: Array<{ labels: Record<string, string>; state: string }>;
      }>;
      const labels = answer.data.alerts.filter((a) => a.state === 'firing').map((a) => a.labels);
      assert.ok(
        labels.some((l) => l.alertname === 'ImageGitopsManifestsInvalid' && l.kind === 'ImagePrepull'),
      );
      assert.ok(labels.some((l) => l.alertname === 'ImageGitopsManifestsFailed' && l.kind === 'ImageSync'));
      assert.ok(
        labels.some(
          (l) => l.alertname === 'ImageGitopsCopiesPendingPastBudget' && l.manifest === 'ImageSync/app',
        ),
      );

      // Every alert reads data, firing or not: its expression without the comparison answers.
      for (const alert of alerts) {
        const data = await query(signalOf(alert.expr));
        assert.ok(data.result.length > 0, `${alert.alert}: ${signalOf(alert.expr)} returned nothing`);
      }

      // Every dashboard panel's every query returns data (waiting for the scrapes that rates need).
      const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
        panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
      };
      assert.ok(dashboard.panels.length >= 10);
      for (const panel of dashboard.panels) {
        for (const { expr } of panel.targets) {
          await waitFor(async () => (await query(expr)).result.length > 0, {
            timeoutMs: 30_000,
            intervalMs: 500,
            what: `data for "${panel.title}": ${expr}`,
          });
        }
      }
      const pruned = await query('sum(image_gitops_objects_pruned_total)');
      assert.equal(pruned.result[0]?.value[1], '1');
      const webhooks = await query(
        'image_gitops_webhook_requests_total{provider="github",outcome="triggered"}',
      );
      assert.equal(webhooks.result[0]?.value[1], '1');
    });
  });
});
