// The benchmark's result rows, printed as a table and kept as JSON.
import { formatMb, formatMs, type Measurement } from './measure.js';

export interface Side {
  /** What ran, e.g. `kubectl apply --server-side` or `Reconciler.sync`. */
  what: string;
  measurement: Measurement;
  /** Requests the API server logged for this side: all of them, and those that wrote. */
  requests?: { total: number; writes: number };
  /** Items per second, when the row is about throughput. */
  perSecond?: number;
  /** What this side downloaded from the git server (bench/git-traffic.ts), when it talked to it. */
  gitFetched?: { requests: number; bytes: number };
}

export interface Row {
  operation: string;
  imageGitops: Side;
  baseline?: Side;
  note?: string;
}

/** image-gitops time over baseline time: below 1 means image-gitops was faster. */
export function timeRatio(row: Row): number | undefined {
  return row.baseline ? row.imageGitops.measurement.ms / row.baseline.measurement.ms : undefined;
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024
    ? `${(bytes / 1024 / 1024).toFixed(1)} MB`
    : bytes >= 1024
      ? `${(bytes / 1024).toFixed(0)} kB`
      : `${bytes} B`;
}

function describeFetched(side: Side | undefined): string {
  if (!side?.gitFetched) return '-';
  return `${formatBytes(side.gitFetched.bytes)} (${side.gitFetched.requests} req)`;
}

function describe(side: Side | undefined): string[] {
  if (!side) return ['-', '-', '-'];
  const rate = side.perSecond ? ` (${Math.round(side.perSecond).toLocaleString('en-US')}/s)` : '';
  const requests = side.requests ? `${side.requests.total} (${side.requests.writes} write verbs)` : '-';
  const { peakRssBytes, rssBeforeBytes } = side.measurement;
  const growth =
    rssBeforeBytes === undefined ? '' : ` (+${formatMb(Math.max(0, peakRssBytes - rssBeforeBytes))})`;
  return [`${formatMs(side.measurement.ms)}${rate}`, `${formatMb(peakRssBytes)}${growth}`, requests];
}

const LEGEND = [
  '- peak RSS: kernel peak resident set (VmHWM) of the process doing the work. image-gitops: a node worker process',
  '  (runtime in the header line), measured per step, with the growth over its RSS at the step start in brackets.',
  '  kubectl / git: GNU time %M of the whole command. ratio = image-gitops time / baseline time (<1: faster).',
  '- API requests: from the API server audit log, by user agent; write verbs = create/update/patch/delete',
  '  (a server-side apply PATCH counts even when it changes nothing).',
  '- git fetched: response bytes (and requests) from the git server, counted by a loopback proxy in front of it.',
];

/** Printed when the table has image-copy rows (bench/skopeo.ts). */
const IMAGE_COPY_LEGEND = [
  '- image copy rows: loopback docker-registry processes (a source with multi-arch amd64+arm64 tags, one empty',
  '  destination per side). image-gitops = the worker observing and rendering one ImageSync (Settings bounds: 10',
  "  Jobs, ceil(N/10) tags per Job, so every tag is in the first round), then every new rendered Job's",
  '  `/bin/sh -ec` script run locally, all Jobs concurrently (as the pods of one sync would run); its time is',
  "  observe+render + Jobs, its peak RSS the reconciler worker's (each Job script's GNU time %M is in the note).",
  '  Completed Jobs stay live (ttlSecondsAfterFinished) and are given to the next rounds. baseline = skopeo sync',
  '  --all of the whole repository into its own destination (GNU time %M). Both destinations are checked to hold',
  "  the source's tags and digests after each round. API requests here = registry HTTP requests (both registries,",
  '  from their access logs); write verbs = POST/PUT/PATCH/DELETE.',
];

export function formatTable(rows: Row[]): string {
  const header = [
    'operation',
    'image-gitops',
    'peak RSS',
    'API requests',
    'git fetched',
    'baseline',
    'peak RSS',
    'API requests',
    'git fetched',
    'ratio (time)',
  ];
  const lines = rows.map((row) => {
    const ratio = timeRatio(row);
    return [
      row.operation,
      ...describe(row.imageGitops),
      describeFetched(row.imageGitops),
      ...describe(row.baseline),
      describeFetched(row.baseline),
      ratio === undefined ? '-' : `${ratio.toFixed(2)}x`,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const format = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const notes = rows
    .filter((r) => r.note || r.baseline)
    .map(
      (r) =>
        `- ${r.operation}: ${r.imageGitops.what}${r.baseline ? ` vs ${r.baseline.what}` : ''}${r.note ? `. ${r.note}` : ''}`,
    );
  return [
    format(header),
    format(widths.map((w) => '-'.repeat(w))),
    ...lines.map(format),
    '',
    ...LEGEND,
    ...(rows.some((r) => r.operation.startsWith('image copy')) ? IMAGE_COPY_LEGEND : []),
    ...notes,
  ].join('\n');
}
