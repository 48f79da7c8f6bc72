/**
 * Task events across nodes over Redis pub/sub. Every node publishes on one channel and listens to
 * it from start-up, so a listener never misses an event because its subscription was still being
 * set up (a per-task channel would need a round trip before each wait could begin). A node hands
 * its own events to its listeners directly and ignores their echo; others' events are delivered
 * to the listeners of their task, if this node has any.
 *
 * Pub/sub delivers at most once: an event published while Redis is unreachable is lost to other
 * nodes. The database still holds every state: waiters read their task back now and then
 * (ending-watch.ts), so a lost ending costs them seconds, not their timeout.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.js';
import { closeRedis, connectRedis, failFastOptions } from '../lib/redis.js';
import { LocalTaskEvents, type TaskEvent, type TaskEventListener, type TaskEvents } from './events.js';

const EVENT_TYPES: ReadonlySet<string> = new Set(['status', 'log', 'progress', 'cancel', 'catalog']);

/**
 * A message is "<node id> <JSON array of events>": the events a node published in one turn of its
 * event loop, so a busy cluster sends one message where it had many, and a node skips its own
 * echo without parsing it.
 */
function parseEvents(json: string): TaskEvent[] | null {
  try {
    const events = JSON.parse(json) as Array<Partial<TaskEvent>>;
    if (!Array.isArray(events)) return null;
    return events.every((e) => typeof e?.taskId === 'string' && EVENT_TYPES.has(String(e.type))) ? (events as TaskEvent[]) : null;
  } catch {
    return null;
  }
}

export class RedisTaskEvents implements TaskEvents {
  private readonly local = new LocalTaskEvents();
  private readonly origin = `${randomUUID()} `;
  /** One warning per outage, not one per event. */
  private warned = false;
  /** Events of this turn of the event loop, as JSON, not yet sent. */
  private pending: string[] = [];

  private constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly channel: string,
    private readonly logger: Logger,
  ) {}

  /** Connects, and resolves once this node listens to the channel. */
  static async connect(url: string, prefix: string, logger: Logger): Promise<RedisTaskEvents> {
    const publisher = await connectRedis(url, failFastOptions('qig-events-pub'));
    let subscriber: Redis;
    try {
      // The subscriber queues while reconnecting; ioredis subscribes again after a reconnect.
      subscriber = await connectRedis(url, { connectionName: 'qig-events-sub' });
    } catch (error) {
      publisher.disconnect();
      throw error;
    }
    const events = new RedisTaskEvents(publisher, subscriber, `${prefix}:events`, logger);
    const onError = (error: Error) => events.warn(error);
    publisher.on('error', onError);
    subscriber.on('error', onError);
    publisher.on('ready', () => (events.warned = false));
    subscriber.on('message', (_channel: string, message: string) => events.receive(message));
    await subscriber.subscribe(events.channel);
    return events;
  }

  async publish(event: TaskEvent): Promise<void> {
    await this.local.publish(event);
    if (this.pending.push(JSON.stringify(event)) === 1) setImmediate(() => this.flush());
  }

  /** Not awaited by publishers: one connection keeps the order, and a local publish never waits on Redis. */
  private flush(): void {
    const batch = this.pending;
    if (batch.length === 0) return; // close() sent them already
    this.pending = [];
    this.publisher.publish(this.channel, `${this.origin}[${batch.join(',')}]`).catch((error: unknown) => this.warn(error));
  }

  subscribe(taskId: string, listener: TaskEventListener): () => void {
    return this.local.subscribe(taskId, listener);
  }

  subscribeLocal(listener: TaskEventListener): () => void {
    return this.local.subscribeLocal(listener);
  }

  async close(): Promise<void> {
    if (this.pending.length > 0) this.flush();
    await Promise.all([closeRedis(this.publisher), closeRedis(this.subscriber)]);
  }

  private receive(message: string): void {
    if (message.startsWith(this.origin)) return;
    const events = parseEvents(message.slice(message.indexOf(' ') + 1));
    if (!events) {
      this.logger.warn({ channel: this.channel }, 'ignored a malformed task event message from Redis');
      return;
    }
    for (const event of events) this.local.deliver(event);
  }

  private warn(error: unknown): void {
    if (this.warned) return;
    this.warned = true;
    this.logger.warn({ err: error }, 'task events: Redis unavailable; other nodes miss events until it is back');
  }
}
