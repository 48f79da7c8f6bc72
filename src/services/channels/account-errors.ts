/**
 * Which failures are the upstream account's (decision 0011): a revoked or wrong key, an account in
 * arrears or out of quota, a model not opened on the account. Those take the credential out of
 * rotation; passing conditions (rate limits, timeouts, 5xx) never do.
 */
import { clip } from '../../domain/bounded-text.js';
import type { DisableKind } from '../../domain/channels.js';
import { toAppError } from '../../domain/errors.js';

export interface AccountErrorInfo {
  kind: DisableKind;
  /** The upstream's code, or the HTTP status when it gave none. */
  code: string;
  /** The error's message, clipped. */
  reason: string;
}

const MAX_REASON_CHARS = 300;

const AUTH = new Set(['InvalidApiKey', 'invalid_api_key', 'UNAUTHORIZED', 'WorkSpaceNotFound']);
const ARREARS = new Set(['Arrearage', 'PrepaidBillOverdue', 'PostpaidBillOverdue', 'insufficient_quota', 'billing_hard_limit_reached', 'CommodityNotPurchased']);
const MODEL_NOT_OPEN = new Set(['ModelNotFound', 'model_not_found']);

function byCode(code: string): DisableKind | null {
  if (AUTH.has(code)) return 'auth';
  if (ARREARS.has(code) || code.startsWith('AllocationQuota')) return 'arrears';
  // AccessDenied, AccessDenied.Unpurchased, Model.AccessDenied, Workspace.AccessDenied.
  if (MODEL_NOT_OPEN.has(code) || code.startsWith('AccessDenied') || code.endsWith('.AccessDenied')) return 'model_not_open';
  return null;
}

/**
 * Without a code, what upstreams/errors.ts left in the message: the bare status ("HTTP 401") when
 * the upstream said nothing, or the words of a missing model. A bare 403 is no account error: a
 * WAF or a content filter in front of the upstream answers so too (the call still fails over).
 */
function byMessage(message: string): { kind: DisableKind; code: string } | null {
  if (/\bHTTP 401\b/.test(message)) return { kind: 'auth', code: '401' };
  if (/model not exist|model .*not (found|exist)|no such model/i.test(message)) return { kind: 'model_not_open', code: 'ModelNotFound' };
  return null;
}

/** The account failure an error says, or null for any other error. */
export function accountErrorOf(error: unknown): AccountErrorInfo | null {
  const failure = toAppError(error);
  // Account failures are always classified as a non-retryable engine_unavailable (upstream/errors.ts).
  if (failure.kind !== 'engine_unavailable' || failure.retryable) return null;
  const reason = clip(failure.message, MAX_REASON_CHARS);
  const code = failure.upstreamCode;
  if (code !== undefined) {
    const kind = byCode(code);
    return kind === null ? null : { kind, code, reason };
  }
  const found = byMessage(failure.message);
  return found === null ? null : { ...found, reason };
}

/** The kind alone (null: not the account's fault). */
export function classifyAccountError(error: unknown): DisableKind | null {
  return accountErrorOf(error)?.kind ?? null;
}

const FIRST_RETEST_MS = 60_000;
const MAX_RETEST_MS = 3_600_000;

/** How long after its `strikes`-th automatic disable a credential is re-tested: 1 min, 2, 4, … at most 1 h. */
export function nextTestDelayMs(strikes: number): number {
  const step = Math.max(1, Math.floor(strikes));
  return step > 7 ? MAX_RETEST_MS : Math.min(MAX_RETEST_MS, FIRST_RETEST_MS * 2 ** (step - 1));
}
