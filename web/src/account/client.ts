/** The API key the page is signed in with (this tab only: sessionStorage), and calls made with it. */
import type { CallOptions } from '../lib/api.js';
import { sessionClient } from '../lib/session-client.js';

export function explain(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// Refused: revoked, expired, or its user disabled.
const client = sessionClient('qig.accountKey', (error) => error.status === 401, explain);

export const accountKey = client.credential;
export const whenRefused = client.whenRefused;

export function accountCall<T>(path: string, options: Omit<CallOptions, 'token'> = {}): Promise<T> {
  return client.call<T>(path, options);
}
