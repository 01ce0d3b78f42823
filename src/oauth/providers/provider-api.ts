// Reading a provider's own user API with an access token (GitHub, Discord): JSON, a timeout, and
// failures classified for the callback (unreachable or 5xx: unavailable; anything else: rejected).
import { ProviderFailure, isNetworkFailure } from './types.ts';

const API_TIMEOUT_MS = 10_000;

export async function fetchProviderJson(url: string, accessToken: string, headers: Record<string, string> = {}): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json', 'user-agent': 'Gatehouse', ...headers },
      signal: AbortSignal.timeout(API_TIMEOUT_MS),
    });
  } catch (error) {
    throw new ProviderFailure('unavailable', `GET ${url} failed`, { cause: error });
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new ProviderFailure(response.status >= 500 ? 'unavailable' : 'rejected', `GET ${url} answered ${response.status}`);
  }
  try {
    return await response.json();
  } catch (error) {
    throw new ProviderFailure(isNetworkFailure(error) ? 'unavailable' : 'rejected', `GET ${url} answered no JSON`, { cause: error });
  }
}

/** A non-empty string (or number) property of an API object, cut to `max`, or null. Not for subjects (never cut). */
export function stringField(source: unknown, key: string, max = 255): string | null {
  const value = source !== null && typeof source === 'object' ? (source as Record<string, unknown>)[key] : undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, max) : null;
}
