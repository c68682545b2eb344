// SyncReport-shaped data for the unit tests of metrics, HTTP and scheduling: plain values, as the engine
// produces them, so that these tests do not depend on the engine.
import type { ManifestStatus, ObjectStatus, SyncReport } from '../../../src/status/types.js';

export function objectStatus(overrides: Partial<ObjectStatus> = {}): ObjectStatus {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    namespace: 'images',
    name: 'sync-nginx-abc123',
    action: 'create',
    outcome: 'applied',
    ...overrides,
  };
}

export function manifestStatus(overrides: Partial<ManifestStatus> = {}): ManifestStatus {
  return {
    key: 'ImageSync/images/nginx',
    kind: 'ImageSync',
    name: 'nginx',
    file: 'images/nginx.yaml',
    result: 'Applied',
    message: 'applied 1 object',
    problems: [],
    objects: [],
    commit: 'a'.repeat(40),
    author: 'Dev <dev@example.com>',
    health: 'Healthy',
    ...overrides,
  };
}

export function syncReport(overrides: Partial<SyncReport> = {}): SyncReport {
  return {
    startedAt: '2026-11-24T10:00:00.000Z',
    finishedAt: '2026-11-24T10:00:02.500Z',
    durationSeconds: 2.5,
    trigger: 'schedule',
    result: 'Succeeded',
    commit: {
      sha: 'a'.repeat(40),
      author: 'Dev',
      authorEmail: 'dev@example.com',
      date: '2026-11-24T09:59:00.000Z',
      message: 'add nginx',
    },
    fetchSkipped: false,
    gitFetchSeconds: 0.3,
    manifests: [],
    fileProblems: [],
    counts: { applied: 0, unchanged: 0, pruned: 0, failed: 0, kept: 0 },
    appliedByKind: {},
    prunedByKind: {},
    ...overrides,
  };
}
