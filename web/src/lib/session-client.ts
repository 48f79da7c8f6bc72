/**
 * A credential entered once per tab (sessionStorage) and the API calls made with it: the admin
 * token on the console, an API key on the account page. When the server refuses it, the page is
 * told (it signs out and shows why).
 */
import { ApiError, call, type CallOptions } from './api.js';

export interface SessionClient {
  credential: { get(): string | null; set(value: string): void; clear(): void };
  /** Called when the server refuses the credential. */
  whenRefused(handler: (message: string) => void): void;
  call<T>(path: string, options?: Omit<CallOptions, 'token'>): Promise<T>;
}

export function sessionClient(storageKey: string, refuses: (error: ApiError) => boolean, explain: (error: unknown) => string): SessionClient {
  let onRefused: (message: string) => void = () => undefined;
  const credential = {
    get: (): string | null => sessionStorage.getItem(storageKey),
    set: (value: string) => sessionStorage.setItem(storageKey, value),
    clear: () => sessionStorage.removeItem(storageKey),
  };
  return {
    credential,
    whenRefused: (handler) => {
      onRefused = handler;
    },
    async call<T>(path: string, options: Omit<CallOptions, 'token'> = {}): Promise<T> {
      try {
        return await call<T>(path, { ...options, token: credential.get() });
      } catch (error) {
        if (error instanceof ApiError && refuses(error)) onRefused(explain(error));
        throw error;
      }
    },
  };
}
