/** Calls to the gateway with a bearer token; every error shape it speaks becomes one ApiError. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The request field the error names, when the API says. */
    readonly field: string | null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface CallOptions {
  token?: string | null | undefined;
  method?: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH';
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

const FIELD_PREFIX = /^([A-Za-z_][\w.[\]-]*):\s/;

/** `parameters.n: must be…` → `parameters.n`: the API's messages start with the field they concern. */
export function fieldOfMessage(message: string): string | null {
  return FIELD_PREFIX.exec(message)?.[1] ?? null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

/** DashScope `{code, message}`, OpenAI and admin `{error: {message, code, param | field}}`. */
function toApiError(status: number, body: unknown): ApiError {
  if (isRecord(body)) {
    const inner = isRecord(body.error) ? body.error : body;
    const message = text(inner.message) ?? text(inner.msg) ?? text(body.detail);
    if (message !== null) {
      const field = text(inner.field) ?? text(inner.param) ?? fieldOfMessage(message);
      return new ApiError(status, text(inner.code) ?? text(inner.type) ?? String(status), message, field);
    }
  }
  return new ApiError(status, String(status), `The server answered HTTP ${status}.`, null);
}

export async function call<T>(path: string, options: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
      headers,
      body: options.body === undefined ? null : JSON.stringify(options.body),
      signal: options.signal ?? null,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, 'network', 'Cannot reach the gateway. Is the server running?', null);
  }
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) throw toApiError(response.status, body);
  return body as T;
}
