import { createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { constantTimeEqual } from './webhook.js';

/**
 * Optional bearer-token access to the status page and `/status` (STATUS_PAGE_TOKEN_FILE). Tools send
 * `Authorization: Bearer <token>`; a browser signs in once through a form and keeps a cookie. The cookie
 * holds an HMAC of the token, not the token: a copied cookie does not reveal it, and a new token (a rotated
 * Secret, a restart) signs everyone out.
 */
export const PAGE_COOKIE = 'image_gitops_page';

export class PageAccess {
  private readonly cookieValue: string | undefined;

  constructor(private readonly token: string | undefined) {
    this.cookieValue = token
      ? createHmac('sha256', token).update('image-gitops status page').digest('hex')
      : undefined;
  }

  get required(): boolean {
    return this.token !== undefined;
  }

  /** Whether a request may read: no token set, the bearer token, or the sign-in cookie. */
  allows(req: IncomingMessage): boolean {
    if (!this.token || !this.cookieValue) return true;
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ') && constantTimeEqual(auth.slice('Bearer '.length), this.token))
      return true;
    const cookie = cookieOf(req.headers.cookie, PAGE_COOKIE);
    return cookie !== undefined && constantTimeEqual(cookie, this.cookieValue);
  }

  /** Whether a token typed into the sign-in form is the right one. */
  accepts(given: string): boolean {
    return this.token !== undefined && constantTimeEqual(given, this.token);
  }

  /** HttpOnly (no script reads it, and the page has none), SameSite=Strict, for this server's paths. */
  setCookieHeader(): string {
    return `${PAGE_COOKIE}=${this.cookieValue ?? ''}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200`;
  }
}

function cookieOf(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}
