/**
 * Tag-list pagination, pure: which page comes next (RFC 8288 `Link` header, as the distribution spec uses
 * it), and how a list that stopped early says so. The client (client.ts) does the I/O.
 */

/** Why a tag list stopped before its last page. */
export type TruncationReason =
  /** The manifest's `tags.maxTags`, or REGISTRY_MAX_TAGS. */
  | 'maxTags'
  /** This sync's REGISTRY_TAG_PAGES_PER_SYNC are spent. */
  | 'syncPages'
  /** Public ECR's API_AWS_PAGE_MAX (image-operator's bound). */
  | 'awsPages';

export interface Truncation {
  reason: TruncationReason;
  /** Pages read. */
  pages: number;
  /** Page size asked (`?n=`), when one was. */
  pageSize?: number;
  /** Tags kept (the first ones in the registry's order). */
  tags: number;
}

/**
 * The `rel="next"` target of a `Link` header (`<url>; rel="next"`, with other links and parameters in any
 * order, `rel` a space-separated list), resolved against the URL of the page that carried it.
 */
export function nextPageUrl(header: string | string[] | undefined, current: URL): URL | undefined {
  const text = Array.isArray(header) ? header.join(',') : header;
  if (!text) return undefined;
  const links = /<([^>]*)>((?:\s*;\s*[^;,]+)*)/g;
  for (let m = links.exec(text); m; m = links.exec(text)) {
    const params = m[2] ?? '';
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(params);
    const relations = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
    if (!relations.includes('next')) continue;
    try {
      return new URL(m[1] ?? '', current);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** `the first 1000 tags of r/x (tags.maxTags)`: what a truncated list left out, and which bound did it. */
export function describeTruncation(repository: string, truncation: Truncation): string {
  const bound = {
    maxTags: 'tags.maxTags or REGISTRY_MAX_TAGS',
    syncPages: "this sync's REGISTRY_TAG_PAGES_PER_SYNC",
    awsPages: 'API_AWS_PAGE_MAX',
  }[truncation.reason];
  const pages = `${truncation.pages} page${truncation.pages === 1 ? '' : 's'}${truncation.pageSize ? ` of ${truncation.pageSize}` : ''}`;
  return `tag list of ${repository} truncated: the first ${truncation.tags} tags (${pages}) were read, more not read (${bound})`;
}
