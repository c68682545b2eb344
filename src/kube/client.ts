import http from 'node:http';
import https from 'node:https';
import {
  KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  ListWatch,
  Watch,
} from '@kubernetes/client-node';
import { type KubeObject, type ObjectType, withoutManagedFields } from '../core/kube-object.js';
import { MANAGER_NAME } from '../core/labels.js';
import { KubeApiError } from './errors.js';
import type { CollectionInformer, DeletedObject, KubeApi } from './types.js';

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
    return (await this.listVersioned(type, namespace, labelSelector)).items;
  }

  /** A list with the collection's resourceVersion (the first page's: a paged list is one snapshot). */
  async listVersioned(
    type: ObjectType,
    namespace: string | undefined,
    labelSelector?: string,
  ): Promise<{ items: KubeObject[]; resourceVersion: string }> {
    const items: KubeObject[] = [];
    let resourceVersion = '';
    let continueToken: string | undefined;
    do {
      const query = new URLSearchParams({ limit: '500' });
      if (labelSelector) query.set('labelSelector', labelSelector);
      if (continueToken) query.set('continue', continueToken);
      const path = await this.collectionPath(type, namespace);
      const page = (await this.request('GET', `${path}?${query}`)) as {
        items: KubeObject[];
        metadata?: { continue?: string; resourceVersion?: string };
      };
      resourceVersion ||= page.metadata?.resourceVersion ?? '';
      for (const item of page.items) items.push(listed(item, type));
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken);
    return { items, resourceVersion };
  }

  /**
   * client-node's ListWatch over one collection, listing through `listVersioned` (raw JSON, as everywhere
   * here) and watching with client-node's Watch (the kubeconfig's TLS and auth, token refresh included).
   * Bookmarks keep a quiet collection's connection alive, so it is not dropped and re-opened for nothing.
   */
  informer(type: ObjectType, namespace: string | undefined, labelSelector: string): CollectionInformer {
    const watch = new Watch(this.kc);
    // Private in client-node's types, but the field its inactivity timer reads: 30 s would drop quiet watches.
    (watch as unknown as { requestTimeoutMs: number }).requestTimeoutMs = WATCH_INACTIVITY_MS;
    const bookmarked = {
      watch: (
        path: string,
        query: Record<string, unknown>,
        callback: (phase: string, object: KubeObject, event: unknown) => void,
        done: (error: unknown) => void,
      ) =>
        watch.watch(
          path,
          { ...query, allowWatchBookmarks: true },
          (phase, object, event) => callback(phase, phase === 'ERROR' ? object : listed(object, type), event),
          done,
        ),
    } as unknown as Watch;
    let path: string | undefined;
    const listWatch = new ListWatch<KubernetesObject>(
      '',
      bookmarked,
      async () => {
        const { items, resourceVersion } = await this.listVersioned(type, namespace, labelSelector);
        return { items, metadata: { resourceVersion } } as unknown as KubernetesListObject<KubernetesObject>;
      },
      false,
      labelSelector,
    );
    // ListWatch takes its path at construction; ours needs discovery first, so it is set before the start.
    const withPath = listWatch as unknown as { path: string };
    return {
      start: async () => {
        path ??= await this.collectionPath(type, namespace);
        withPath.path = path;
        await listWatch.start();
      },
      stop: () => listWatch.stop(),
      list: () => listWatch.list() as unknown as readonly KubeObject[],
      latestResourceVersion: () => listWatch.latestResourceVersion(),
      on: ((verb: 'add', callback: (object: KubeObject) => void) =>
        listWatch.on(verb, callback as never)) as CollectionInformer['on'],
    };
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
    // The answer without managedFields, as lists hand objects on: a sync keeps every answer until its end.
    return withoutManagedFields(
      (await this.request('PATCH', `${path}?${query}`, object, 'application/apply-patch+yaml')) as KubeObject,
    );
  }

  async create(object: KubeObject): Promise<KubeObject> {
    const path = await this.collectionPath(object, object.metadata.namespace);
    return withoutManagedFields(
      (await this.request('POST', `${path}?fieldManager=${this.fieldManager}`, object)) as KubeObject,
    );
  }

  async delete(
    type: ObjectType,
    namespace: string | undefined,
    name: string,
    options: { propagationPolicy?: 'Background' | 'Foreground' | 'Orphan'; dryRun?: boolean } = {},
  ): Promise<DeletedObject | undefined> {
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
      const answer = (await this.request('DELETE', path, body)) as Partial<KubeObject> | undefined;
      // Most types answer with the object (its last version); some with a Status, which says nothing of it.
      return answer?.metadata?.resourceVersion && answer.kind !== 'Status'
        ? selfDescribing(answer as KubeObject, type)
        : undefined;
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return undefined; // already gone is what we wanted
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

/** How long a watch may stay silent (bookmarks included) before it is dropped and resumed. */
const WATCH_INACTIVITY_MS = 5 * 60_000;

/** An object as lists and watches hand it on: self-describing, and without managedFields (kube-object.ts). */
function listed(object: KubeObject, type: ObjectType): KubeObject {
  return withoutManagedFields({ ...object, apiVersion: type.apiVersion, kind: type.kind });
}

/** Items of a list and some answers carry no apiVersion/kind: put them back so objects are self-describing. */
function selfDescribing(object: KubeObject, type: ObjectType): KubeObject {
  return object.apiVersion && object.kind
    ? object
    : { ...object, apiVersion: type.apiVersion, kind: type.kind };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
