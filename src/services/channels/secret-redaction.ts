/**
 * A credential's own key taken out of everything its engine throws, before the guard, the
 * statistics, the catalog's disable reason, a task's error or a log line sees it. Upstreams echo
 * keys in whatever form they take (upstream/errors.ts only knows the usual patterns), and a message
 * clipped somewhere on the way may keep just the head of one.
 */
import { AppError } from '../../domain/errors.js';
import type { Engine } from '../../engines/engine.js';

const REDACTED = '[redacted]';
/** A run of at least this many of the key's first characters goes too (a key cut short by a clip). */
const MIN_HEAD = 8;
/** How deep an error's causes are searched for the key. */
const MAX_CAUSES = 5;

/** `text` with every occurrence of `secret`, and of a head of it at least MIN_HEAD long, replaced. */
export function redactSecret(text: string, secret: string): string {
  if (secret === '') return text;
  let out = text.split(secret).join(REDACTED);
  if (secret.length <= MIN_HEAD) return out;
  const head = secret.slice(0, MIN_HEAD);
  for (let at = out.indexOf(head); at >= 0; at = out.indexOf(head, at + REDACTED.length)) {
    let end = at + MIN_HEAD;
    while (end < out.length && end - at < secret.length && out[end] === secret[end - at]) end += 1;
    out = `${out.slice(0, at)}${REDACTED}${out.slice(end)}`;
  }
  return out;
}

/** Whether the key (or a head of it) is anywhere in an error: its message, its stack, its causes. */
function mentions(error: unknown, secret: string, depth = 0): boolean {
  if (!(error instanceof Error) || depth > MAX_CAUSES) return false;
  const says = (text: string | undefined) => text !== undefined && redactSecret(text, secret) !== text;
  return says(error.message) || says(error.stack) || mentions(error.cause, secret, depth + 1);
}

/**
 * The error as it may travel on: itself when it does not carry the key, else a copy of what the
 * gateway decides by (kind, upstream code, retry hints) with the key redacted and no cause.
 */
export function withoutSecret(error: unknown, secret: string): unknown {
  if (secret === '' || !mentions(error, secret)) return error;
  if (error instanceof AppError) {
    return new AppError(error.kind, redactSecret(error.message, secret), {
      upstreamCode: error.upstreamCode === undefined ? undefined : redactSecret(error.upstreamCode, secret),
      retryAfterSeconds: error.retryAfterSeconds,
      field: error.field,
      retryable: error.retryable,
    });
  }
  const copy = new Error(redactSecret((error as Error).message, secret));
  copy.name = (error as Error).name;
  return copy;
}

/** The engine with the key redacted from whatever its calls throw. */
export function redactingEngine(engine: Engine, secret: string | undefined): Engine {
  if (secret === undefined || secret === '') return engine;
  const clean = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw withoutSecret(error, secret);
    }
  };
  const probe = engine.probe?.bind(engine);
  return {
    name: engine.name,
    type: engine.type,
    capabilities: engine.capabilities,
    start: (call) => clean(() => engine.start(call)),
    poll: (operation, call) => clean(() => engine.poll(operation, call)),
    cancel: (operation, call) => clean(() => engine.cancel(operation, call)),
    close: () => clean(async () => engine.close?.()),
    ...(probe ? { probe: (signal: AbortSignal) => clean(() => probe(signal)) } : {}),
  };
}
