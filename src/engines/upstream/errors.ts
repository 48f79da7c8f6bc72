/**
 * Upstream failures in catalog terms. One table for the codes the upstreams use (DashScope's,
 * OpenAI's, fal's error types), then the HTTP status. The question each rule answers: whose fault
 * is it? The request's (ends the task: it would fail anywhere), the upstream account's (fail over
 * at once: retrying cannot help), or a passing condition (retry, then fail over).
 */
import { clip } from '../../domain/bounded-text.js';
import { AppError, type ErrorKind } from '../../domain/errors.js';

export interface UpstreamFailure {
  /** Names the upstream in messages, e.g. "DashScope (cloud)". */
  label: string;
  /** HTTP status; 0 when the failure came inside a successful answer (a FAILED task). */
  status: number;
  code?: string | undefined;
  message?: string | undefined;
  retryAfterSeconds?: number | undefined;
  /** The request field the upstream blamed, when it says. */
  field?: string | undefined;
}

interface Rule {
  test: (code: string, message: string) => boolean;
  kind: ErrorKind;
  retryable?: boolean;
}

const is = (...codes: string[]) => (code: string) => codes.includes(code);
const starts = (...prefixes: string[]) => (code: string) => prefixes.some((p) => code.startsWith(p));

const CODE_RULES: Rule[] = [
  // Content moderation: the request's content, anywhere.
  { test: is('DataInspectionFailed', 'InvalidParameter.DataInspection', 'data_inspection_failed', 'moderation_blocked', 'content_policy_violation', 'CONTENT_BLOCKED', 'content_policy'), kind: 'content_blocked' },
  // The upstream account, key, plan or model access: another engine may serve it.
  {
    test: (code, message) =>
      is('InvalidApiKey', 'Arrearage', 'PrepaidBillOverdue', 'PostpaidBillOverdue', 'CommodityNotPurchased', 'WorkSpaceNotFound', 'ModelNotFound',
        'invalid_api_key', 'insufficient_quota', 'billing_hard_limit_reached', 'model_not_found', 'UNAUTHORIZED')(code) ||
      starts('AccessDenied', 'Workspace.AccessDenied', 'Model.AccessDenied', 'AllocationQuota')(code) ||
      /model not exist|model .*not (found|exist)|no such model/i.test(message),
    kind: 'engine_unavailable',
    retryable: false,
  },
  { test: (code) => starts('Throttling')(code) || is('LimitRequests', 'rate_limit_exceeded', 'RATE_LIMIT_EXCEEDED')(code), kind: 'rate_limited' },
  { test: is('RequestTimeOut', 'InternalError.Timeout', 'INFERENCE_TIMEOUT'), kind: 'engine_timeout' },
  { test: is('ModelUnavailable', 'ServiceUnavailable'), kind: 'engine_unavailable' },
  // The upstream could not fetch our inputs (with `inputs: url`): our reachability, not the request.
  { test: is('InvalidParameter.FileDownload', 'BadRequest.InputDownloadFailed', 'InvalidURL'), kind: 'engine_failed' },
  { test: starts('InternalError', 'SystemError', 'RewriteFailed', 'ModelServiceFailed', 'server_error', 'INFERENCE_FAILURE', 'INTERNAL_SERVER_ERROR'), kind: 'engine_failed' },
  { test: is('BadRequest.TooLarge'), kind: 'payload_too_large' },
  { test: is('BadRequest.UnsupportedFileFormat', 'invalid_image', 'invalid_image_format'), kind: 'invalid_image' },
  { test: (code) => starts('InvalidParameter', 'BadRequest', 'invalid_request', 'REQUEST_INVALID')(code) || is('UnsupportedOperation')(code), kind: 'invalid_parameter' },
];

function byStatus(status: number): { kind: ErrorKind; retryable?: boolean } {
  if (status === 401 || status === 403) return { kind: 'engine_unavailable', retryable: false };
  if (status === 429) return { kind: 'rate_limited' };
  if (status === 408 || status === 504) return { kind: 'engine_timeout' };
  if (status === 503) return { kind: 'engine_unavailable' };
  // No such endpoint: the base URL or path in the config is wrong.
  if (status === 404 || status === 405) return { kind: 'engine_unavailable', retryable: false };
  if (status === 413) return { kind: 'payload_too_large' };
  if (status === 400 || status === 422) return { kind: 'invalid_parameter' };
  if (status >= 400 && status < 500) return { kind: 'engine_rejected' };
  return { kind: 'engine_failed' };
}

/** An upstream's message is passed on at most this long. */
const MAX_MESSAGE_CHARS = 300;
// Credentials an upstream may echo back (some repeat the key they were sent in their 401s): keys
// with the usual prefixes, fal's `id:secret`, and whatever follows an auth scheme.
const SECRETS = [
  /\b(?:sk|ak)-[A-Za-z0-9_-]{6,}/gi,
  /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:[0-9a-f]{16,}\b/gi,
  /\b(?:Bearer|Basic|Key) [A-Za-z0-9._~+/=:-]{12,}/g,
];

/**
 * An upstream's message as clients and logs may see it: short, one line, no credentials. Redacted
 * before it is clipped, so a cut never leaves a key's head that the patterns no longer match.
 */
export function cleanUpstreamMessage(message: string): string {
  const redacted = SECRETS.reduce((text, secret) => text.replace(secret, '[redacted]'), message.replace(/\s+/g, ' ').trim());
  return clip(redacted, MAX_MESSAGE_CHARS);
}

export function upstreamError(failure: UpstreamFailure): AppError {
  const code = clip(failure.code ?? '', 64);
  const message = cleanUpstreamMessage(failure.message ?? '') || (failure.status > 0 ? `HTTP ${failure.status}` : 'failed');
  // 401 and 403 are the account's whatever the code says.
  const account = failure.status === 401 || failure.status === 403;
  const decided = account ? byStatus(failure.status) : (CODE_RULES.find((r) => r.test(code, message)) ?? byStatus(failure.status));
  const { kind, retryable } = decided;
  const text = `${failure.label}: ${message}${code !== '' ? ` (${code})` : ''}`;
  return new AppError(kind, text, {
    upstreamCode: code !== '' ? code : undefined,
    retryAfterSeconds: kind === 'rate_limited' || kind === 'engine_unavailable' ? failure.retryAfterSeconds : undefined,
    field: kind === 'invalid_parameter' ? failure.field : undefined,
    retryable,
  });
}
