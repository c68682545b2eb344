import http from 'node:http';
import https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject, ObjectType } from '../core/kube-object.js';
import { MANAGER_NAME } from '../core/labels.js';
import { KubeApiError } from './errors.js';
import type { KubeApi } from './types.js';

/**
 * The Kubernetes edge. @kubernetes/client-node loads the kubeconfig (files, in-cluster, exec plugins) and
 * supplies TLS and auth options; requests go through node:https with those options because the engine needs
 * raw JSON (client-node's typed deserializer turns timestamps into Dates and drops the shape we hash), the
 * apply-patch content type, the status subresource and one keep-alive agent.
 */
export interface KubeClientOptions {
  kubeconfigPath?: string;
  /** Field manager name for server-side apply. */
  fieldManager?: string;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** Sent as User-Agent: the API server's audit log tells clients apart by it. */
  userAgent?: string;
}

interface ResourceInfo {
  plural: string;
  namespaced: boolean;
}

export function loadKubeConfig(kubeconfigPath?: string): KubeConfig {
  const kc = new KubeConfig();
  if (kubeconfigPath) kc.loadFromFile(kubeconfigPath);
  else kc.loadFromDefault();
  return kc;
}

export class KubeClient implements KubeApi {
  private readonly kc: KubeConfig;
  private readonly server: URL;
  private readonly fieldManager: string;
  private readonly options: KubeClientOptions;
  private readonly discovery = new Map<string, Promise<Map<string, ResourceInfo>>>();
  private requestOptions?: Promise<https.RequestOptions>;
  private readonly agent: http.Agent;

  constructor(kc: KubeConfig, options: KubeClientOptions = {}) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.kc = kc;
    this.server = new URL(cluster.server);
    this.fieldManager = options.fieldManager ?? MANAGER_NAME;
    this.options = options;
    this.agent =
      this.server.protocol === 'https:'
        ? new https.Agent({ keepAlive: true, maxSockets: 16 })
        : new http.Agent({ keepAlive: true, maxSockets: 16 });
  }

  static fromKubeconfig(path: string | undefined, options: KubeClientOptions = {}): KubeClient {
    return new KubeClient(loadKubeConfig(path), options);
  }

  async list(type: ObjectType, namespace: string | undefined, labelSelector?: string): Promise<KubeObject[]> {
    const items: KubeObject[] = [];
    let continueToken: string | undefined;
    do {
      const query = new URLSearchParams({ limit: '500' });
      if (labelSelector) query.set('labelSelector', labelSelector);
      if (continueToken) query.set('continue', continueToken);
      const path = await this.collectionPath(type, namespace);
      const page = (await this.request('GET', `${path}?${query}`)) as {
        items: KubeObject[];
        metadata?: { continue?: string };
      };
      // List items carry no apiVersion/kind: put them back so objects are self-describing.
      for (const item of page.items) items.push({ ...item, apiVersion: type.apiVersion, kind: type.kind });
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken);
    return items;
  }

  async get(type: ObjectType, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
    try {
      return (await this.request('GET', await this.pathOf(type, namespace, name))) as KubeObject;
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  async apply(
    object: KubeObject,
    options: { dryRun?: boolean; force?: boolean; fieldManager?: string } = {},
  ): Promise<KubeObject> {
    const query = new URLSearchParams({
      fieldManager: options.fieldManager ?? this.fieldManager,
      force: String(options.force ?? true),
    });
    if (options.dryRun) query.set('dryRun', 'All');
    const path = await this.pathOf(object, object.metadata.namespace, object.metadata.name);
    return (await this.request(
      'PATCH',
      `${path}?${query}`,
      object,
      'application/apply-patch+yaml',
    )) as KubeObject;
  }

  async create(object: KubeObject): Promise<KubeObject> {
    const path = await this.collectionPath(object, object.metadata.namespace);
    return (await this.request('POST', `${path}?fieldManager=${this.fieldManager}`, object)) as KubeObject;
  }

  async delete(
    type: ObjectType,
    namespace: string | undefined,
    name: string,
    options: { propagationPolicy?: 'Background' | 'Foreground' | 'Orphan'; dryRun?: boolean } = {},
  ): Promise<void> {
    // With a body the API server reads the options from it and ignores the query string: a `?dryRun=All`
    // next to a body deletes for real. So dryRun goes in the body.
    const body = {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      propagationPolicy: options.propagationPolicy ?? 'Background',
      ...(options.dryRun ? { dryRun: ['All'] } : {}),
    };
    try {
      const path = await this.pathOf(type, namespace, name);
      await this.request('DELETE', path, body);
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return; // already gone is what we wanted
      throw error;
    }
  }

  /** Raw request for the few calls the interface above does not cover (events, leases, impersonation). */
  async request(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<unknown> {
    const base = await this.baseRequestOptions();
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string | number> = {
      ...(base.headers as Record<string, string>),
      accept: 'application/json',
      'user-agent': this.options.userAgent ?? 'image-gitops',
    };
    if (payload) {
      headers['content-type'] = contentType;
      headers['content-length'] = payload.length;
    }
    const url = new URL(path, this.server);
    const transport = url.protocol === 'https:' ? https : http;
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = transport.request(
        url,
        { ...base, method, headers, agent: this.agent, timeout: this.options.timeoutMs ?? 30_000 },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`request timed out: ${method} ${url.pathname}`)));
      req.on('error', (error) => reject(new KubeApiError(0, 'ConnectionFailed', error.message)));
      if (payload) req.write(payload);
      req.end();
    });
    const parsed: unknown = text ? safeJson(text) : undefined;
    if (status < 200 || status > 299) {
      const s = (parsed ?? {}) as { reason?: string; message?: string; details?: unknown };
      throw new KubeApiError(
        status,
        s.reason ?? 'Unknown',
        s.message ?? (text.slice(0, 300) || `HTTP ${status}`),
        s.details,
      );
    }
    return parsed;
  }

  private baseRequestOptions(): Promise<https.RequestOptions> {
    this.requestOptions ??= (async () => {
      const opts: https.RequestOptions = {};
      await this.kc.applyToHTTPSOptions(opts);
      return opts;
    })();
    return this.requestOptions;
  }

  private async resourceInfo(type: ObjectType): Promise<ResourceInfo> {
    let resources = this.discovery.get(type.apiVersion);
    if (!resources) {
      const root = type.apiVersion.includes('/') ? `/apis/${type.apiVersion}` : `/api/${type.apiVersion}`;
      resources = (async () => {
        const list = (await this.request('GET', root)) as {
          resources: { name: string; kind: string; namespaced: boolean }[];
        };
        const map = new Map<string, ResourceInfo>();
        for (const r of list.resources) {
          if (!r.name.includes('/')) map.set(r.kind, { plural: r.name, namespaced: r.namespaced });
        }
        return map;
      })();
      resources.catch(() => this.discovery.delete(type.apiVersion));
      this.discovery.set(type.apiVersion, resources);
    }
    const info = (await resources).get(type.kind);
    if (!info)
      throw new KubeApiError(404, 'NotFound', `the server does not serve ${type.kind} in ${type.apiVersion}`);
    return info;
  }

  private async collectionPath(type: ObjectType, namespace: string | undefined): Promise<string> {
    const info = await this.resourceInfo(type);
    const root = type.apiVersion.includes('/') ? `/apis/${type.apiVersion}` : `/api/${type.apiVersion}`;
    const ns = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
    return `${root}${ns}/${info.plural}`;
  }

  /** The URL path of one object, for `request`. */
  async pathOf(type: ObjectType, namespace: string | undefined, name: string): Promise<string> {
    return `${await this.collectionPath(type, namespace)}/${encodeURIComponent(name)}`;
  }

  close(): void {
    this.agent.destroy();
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
