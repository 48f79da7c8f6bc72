/**
 * ComfyUI's websocket (protocols.md §5.2), kept open per engine instance and reconnected when it
 * drops. It only feeds progress: /history stays the source of truth, so a poll from another
 * process (whose socket never saw the prompt) still finishes the call.
 */
import WebSocket from 'ws';
import type { Logger } from '../../lib/logger.js';
import { LruCache } from '../../lib/lru.js';

export interface Progress {
  value: number;
  max: number;
}

/** Prompts whose progress is remembered; the oldest are forgotten first. */
const MAX_TRACKED = 256;
const MAX_RECONNECT_MS = 30_000;

export function websocketUrl(baseUrl: string, clientId: string): string {
  const url = new URL(`${baseUrl.replace(/\/+$/, '')}/ws`);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.searchParams.set('clientId', clientId);
  return url.toString();
}

export class ProgressWatcher {
  private socket: WebSocket | null = null;
  private timer: NodeJS.Timeout | null = null;
  private delayMs = 1000;
  private closed = false;
  private readonly progress = new LruCache<string, Progress>(MAX_TRACKED);

  constructor(
    private readonly url: string,
    private readonly logger: Logger,
  ) {}

  /** Opens the socket unless it is open, opening or waiting to reconnect. */
  ensure(): void {
    if (this.closed || this.socket || this.timer) return;
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.on('open', () => {
      this.delayMs = 1000;
    });
    socket.on('message', (data, isBinary) => {
      if (!isBinary) this.onMessage(Buffer.isBuffer(data) ? data.toString() : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString());
    });
    // 'close' follows every 'error'; reconnecting happens there.
    socket.on('error', (error) => this.logger.debug({ err: error, url: this.url }, 'ComfyUI websocket error'));
    socket.on('close', () => {
      this.socket = null;
      if (this.closed) return;
      this.timer = setTimeout(() => {
        this.timer = null;
        this.ensure();
      }, this.delayMs);
      this.timer.unref();
      this.delayMs = Math.min(MAX_RECONNECT_MS, this.delayMs * 2);
    });
  }

  /** The last progress seen for a prompt, if this socket saw it. */
  of(promptId: string): Progress | undefined {
    return this.progress.get(promptId);
  }

  forget(promptId: string): void {
    this.progress.delete(promptId);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.socket?.terminate();
    this.socket = null;
  }

  private onMessage(text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof message !== 'object' || message === null) return;
    const { type, data } = message as { type?: unknown; data?: { prompt_id?: unknown; value?: unknown; max?: unknown } };
    if (type !== 'progress' || typeof data?.prompt_id !== 'string') return;
    if (typeof data.value !== 'number' || typeof data.max !== 'number' || data.max <= 0) return;
    this.progress.set(data.prompt_id, { value: data.value, max: data.max });
  }
}
