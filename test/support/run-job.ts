// Runs a rendered skopeo Job's script locally, as its pod would: the script from the Job's container command,
// the files of the Secret it mounts at JOB_PATHS.authDir (auth.json, certs/<host>/ca.crt) written to a
// temporary folder, and that mount path in the script rewritten to the folder. Used by the ImageSync and
// ImageBackup end-to-end tests.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { KubeObject } from '../../src/core/kube-object.js';
import { JOB_PATHS, jobCommand } from '../../src/jobs/job-template.js';
import { runCommand } from './processes.js';
import { makeTempDir } from './tmp.js';

/** `objects` are the render's output (or the stored objects), where the mounted Secret is found. */
export async function runJobLocally(job: KubeObject, objects: readonly KubeObject[]): Promise<void> {
  const command = jobCommand(job);
  assert.deepEqual(command?.slice(0, 2), ['/bin/sh', '-ec']);
  const mountDir = makeTempDir('job-files');
  const pod = ((job.spec as Record<string, unknown>).template as { spec: Record<string, unknown> }).spec as {
    volumes: Array<{
      name: string;
      secret?: { secretName: string; items?: Array<{ key: string; path: string }> };
    }>;
  };
  const volume = pod.volumes.find((v) => v.name === 'authfile');
  if (volume?.secret) {
    const secret = objects.find((o) => o.kind === 'Secret' && o.metadata.name === volume.secret?.secretName);
    assert.ok(secret, 'the Job mounts a Secret that the render produced');
    const data = secret.data as Record<string, string>;
    for (const item of volume.secret.items ?? Object.keys(data).map((key) => ({ key, path: key }))) {
      const target = join(mountDir, item.path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, Buffer.from(data[item.key] ?? '', 'base64'), { mode: 0o600 });
    }
  }
  const script = (command?.[2] ?? '').split(JOB_PATHS.authDir).join(mountDir);
  const home = makeTempDir('job-home');
  await runCommand('sh', ['-ec', script], { env: { ...process.env, HOME: home, TMPDIR: home } });
}
