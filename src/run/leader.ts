import { type Logger, silentLogger } from '../core/logger.js';
import { KubeApiError } from '../kube/errors.js';

/**
 * Leader election on a `coordination.k8s.io/v1` Lease, as client-go's leaderelection does it:
 * - every `retryPeriodMs` each candidate reads the Lease; the holder renews it, others watch it;
 * - a candidate takes the Lease over when it is free (no holder, or released) or when its record has not
 *   changed for `leaseDurationMs` as measured on the candidate's own clock (so clock skew between nodes does
 *   not matter);
 * - writes carry the resourceVersion read, so two candidates never both win: the loser gets 409 and follows;
 * - a leader that cannot renew for `renewDeadlineMs` steps down before its Lease can expire for the others;
 * - `stop({ release: true })` clears the holder so that a follower takes over at once.
 */
export interface LeaseClient {
  request(method: string, path: string, body?: unknown): Promise<unknown>;
}

export interface LeaderElectorOptions {
  client: LeaseClient;
  namespace: string;
  name: string;
  /** This candidate, unique among replicas: the pod name. */
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  onStartedLeading?(): void;
  onStoppedLeading?(): void;
  onNewLeader?(identity: string | undefined): void;
  logger?: Logger;
}

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface LeaseObject {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string; labels?: Record<string, string> };
  spec: LeaseSpec;
}

export const LEASE_DEFAULTS = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

/** Kubernetes MicroTime: RFC 3339 with exactly six fractional digits. */
export function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class LeaderElector {
  private readonly options: LeaderElectorOptions;
  private readonly timing: typeof LEASE_DEFAULTS;
  private readonly logger: Logger;
  private leading = false;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private observed: { resourceVersion?: string; holder?: string; at: number } | undefined;
  private lastRenew = 0;
  private knownLeader: string | undefined;

  constructor(options: LeaderElectorOptions) {
    this.options = options;
    this.timing = {
      leaseDurationMs: options.leaseDurationMs ?? LEASE_DEFAULTS.leaseDurationMs,
      renewDeadlineMs: options.renewDeadlineMs ?? LEASE_DEFAULTS.renewDeadlineMs,
      retryPeriodMs: options.retryPeriodMs ?? LEASE_DEFAULTS.retryPeriodMs,
    };
    if (this.timing.renewDeadlineMs >= this.timing.leaseDurationMs) {
      throw new Error('leader election: the renew deadline must be shorter than the lease duration');
    }
    this.logger = (options.logger ?? silentLogger).child({ lease: `${options.namespace}/${options.name}` });
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** The holder last seen on the Lease (this candidate when leading). */
  leader(): string | undefined {
    return this.knownLeader;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /**
   * Stops campaigning. With `release` (a graceful shutdown) a held Lease is given up at once; without it
   * the Lease is left to expire, as when the process dies.
   */
  async stop(options: { release: boolean } = { release: true }): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    // release() checks the holder itself: a round that won just as stop() was called also holds the Lease
    if (options.release) await this.release();
    this.setLeading(false);
  }

  private get path(): string {
    const ns = encodeURIComponent(this.options.namespace);
    return `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/${encodeURIComponent(this.options.name)}`;
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const won = await this.tryAcquireOrRenew();
        if (won) this.lastRenew = Date.now();
        if (!this.running) break;
        if (won) this.setLeading(true);
        else if (this.leading) this.setLeading(false); // someone else holds it now
      } catch (error) {
        this.logger.warn('lease request failed', { error });
        if (this.leading && Date.now() - this.lastRenew > this.timing.renewDeadlineMs) {
          this.logger.error('could not renew the lease before the deadline: stepping down');
          this.setLeading(false);
        }
      }
      await this.sleep(this.timing.retryPeriodMs);
    }
  }

  /** One round: true when this candidate holds the Lease afterwards. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    const lease = await this.read();
    if (!lease) {
      await this.write('POST', this.newLease(now, undefined));
      return true;
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity || undefined;
    if (
      !this.observed ||
      this.observed.resourceVersion !== lease.metadata.resourceVersion ||
      this.observed.holder !== holder
    ) {
      this.observed = { resourceVersion: lease.metadata.resourceVersion, holder, at: Date.now() };
    }
    this.noteLeader(holder);
    const durationMs = (spec.leaseDurationSeconds ?? this.timing.leaseDurationMs / 1000) * 1000;
    const held = holder !== undefined && holder !== this.options.identity;
    if (held && Date.now() < this.observed.at + durationMs) return false;

    const next = this.newLease(now, lease);
    try {
      await this.write('PUT', next);
      return true;
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 409) return false; // another candidate won
      throw error;
    }
  }

  private newLease(now: Date, current: LeaseObject | undefined): LeaseObject {
    const spec = current?.spec ?? {};
    const ours = spec.holderIdentity === this.options.identity;
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.options.name,
        namespace: this.options.namespace,
        ...(current?.metadata.resourceVersion ? { resourceVersion: current.metadata.resourceVersion } : {}),
        labels: { 'app.kubernetes.io/managed-by': 'image-gitops' },
      },
      spec: {
        holderIdentity: this.options.identity,
        leaseDurationSeconds: Math.ceil(this.timing.leaseDurationMs / 1000),
        acquireTime: ours && spec.acquireTime ? spec.acquireTime : microTime(now),
        renewTime: microTime(now),
        leaseTransitions: (spec.leaseTransitions ?? 0) + (current && !ours ? 1 : 0),
      },
    };
  }

  private async release(): Promise<void> {
    try {
      const lease = await this.read();
      if (!lease || lease.spec?.holderIdentity !== this.options.identity) return;
      const now = microTime(new Date());
      await this.write('PUT', {
        ...lease,
        spec: {
          ...lease.spec,
          holderIdentity: '',
          leaseDurationSeconds: 1,
          renewTime: now,
          acquireTime: now,
        },
      });
      this.logger.info('released the lease');
    } catch (error) {
      this.logger.warn('could not release the lease; it expires on its own', { error });
    }
  }

  private async read(): Promise<LeaseObject | undefined> {
    try {
      return (await this.options.client.request('GET', this.path)) as LeaseObject;
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  private async write(method: 'POST' | 'PUT', lease: LeaseObject): Promise<void> {
    const path = method === 'POST' ? this.path.slice(0, this.path.lastIndexOf('/')) : this.path;
    const stored = (await this.options.client.request(method, path, lease)) as LeaseObject;
    this.observed = {
      resourceVersion: stored.metadata.resourceVersion,
      holder: stored.spec.holderIdentity,
      at: Date.now(),
    };
  }

  private setLeading(leading: boolean): void {
    if (leading) this.noteLeader(this.options.identity);
    if (leading === this.leading) return;
    this.leading = leading;
    this.logger.info(leading ? 'became the leader' : 'stopped leading', { identity: this.options.identity });
    if (leading) this.options.onStartedLeading?.();
    else this.options.onStoppedLeading?.();
  }

  private noteLeader(holder: string | undefined): void {
    if (holder === this.knownLeader) return;
    this.knownLeader = holder;
    this.options.onNewLeader?.(holder);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
