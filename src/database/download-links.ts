// Single-use links for downloading the database, so a browser can download with a plain GET and no
// custom header. Only a hash of each token is kept (in memory: a link outliving a restart is not
// worth a table; a shared store can replace this class when several instances run).
import { generateToken, hashToken } from '../util/secrets.ts';

export const DOWNLOAD_LINK_TTL_MS = 60_000;

export interface DownloadGrant {
  /** Who created the link (audited as the downloader). */
  userId: string | null;
  email: string | null;
  expiresAt: Date;
}

export class DownloadLinks {
  readonly #grants = new Map<string, DownloadGrant>();

  /** A new token, valid until `now + TTL`. */
  create(now: Date, who: { userId: string | null; email: string | null }): { token: string; expiresAt: Date } {
    this.#prune(now);
    const token = generateToken();
    const expiresAt = new Date(now.getTime() + DOWNLOAD_LINK_TTL_MS);
    this.#grants.set(hashToken(token), { ...who, expiresAt });
    return { token, expiresAt };
  }

  /** The grant of an unused, unexpired token, spent by this call; null otherwise. */
  consume(token: string, now: Date): DownloadGrant | null {
    const key = hashToken(token);
    const grant = this.#grants.get(key);
    if (!grant) return null;
    this.#grants.delete(key);
    return grant.expiresAt > now ? grant : null;
  }

  #prune(now: Date): void {
    for (const [key, grant] of this.#grants) if (grant.expiresAt <= now) this.#grants.delete(key);
  }
}
