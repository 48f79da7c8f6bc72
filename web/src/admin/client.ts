/** The admin token, entered once per tab (sessionStorage), and calls made with it. */
import { ApiError, type CallOptions } from '../lib/api.js';
import { sessionClient } from '../lib/session-client.js';

export function explain(error: unknown): string {
  if (error instanceof ApiError && error.status === 404 && error.code === 'NotFound') {
    return 'The admin API is off on this server: start it with QIG_ADMIN_TOKEN set.';
  }
  return error instanceof Error ? error.message : String(error);
}

// Refused: a wrong token, or a server restarted with another (or without the admin API).
const client = sessionClient('qig.adminToken', (error) => error.status === 401 || (error.status === 404 && error.code === 'NotFound'), explain);

export const adminToken = client.credential;
export const whenRefused = client.whenRefused;

export function adminCall<T>(path: string, options: Omit<CallOptions, 'token'> = {}): Promise<T> {
  return client.call<T>(path, options);
}

/** `?a=1&b=x` from the filled-in values only. */
export function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(name, String(value));
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

/** A file the admin API answers (a CSV export): a blob URL to link to, and the name the server gives it. */
export async function adminFile(path: string): Promise<{ url: string; filename: string }> {
  const response = await fetch(path, { headers: { authorization: `Bearer ${adminToken.get() ?? ''}`, accept: 'text/csv' } });
  if (!response.ok) throw new Error(`The export failed: HTTP ${response.status}.`);
  const filename = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? 'export.csv';
  return { url: URL.createObjectURL(await response.blob()), filename };
}
