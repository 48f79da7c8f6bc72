/** Which failures take a credential out of rotation, and the re-test backoff. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../../../src/domain/errors.js';
import { upstreamError } from '../../../../src/engines/upstream/errors.js';
import { accountErrorOf, classifyAccountError, nextTestDelayMs } from '../../../../src/services/channels/account-errors.js';

const upstream = (status: number, code?: string, message = 'nope') => upstreamError({ label: 'DashScope (cloud)', status, code, message });

describe('account errors', () => {
  it('classifies bad keys as auth', () => {
    for (const code of ['InvalidApiKey', 'invalid_api_key', 'UNAUTHORIZED']) assert.equal(classifyAccountError(upstream(400, code)), 'auth', code);
    assert.equal(classifyAccountError(upstream(401, 'InvalidApiKey')), 'auth');
    assert.deepEqual(accountErrorOf(upstream(401, undefined, '')), { kind: 'auth', code: '401', reason: 'DashScope (cloud): HTTP 401' });
  });

  it('classifies arrears and exhausted quotas', () => {
    for (const code of ['Arrearage', 'PrepaidBillOverdue', 'PostpaidBillOverdue', 'insufficient_quota', 'billing_hard_limit_reached', 'AllocationQuota.FreeTierOnly', 'CommodityNotPurchased']) {
      assert.equal(classifyAccountError(upstream(400, code)), 'arrears', code);
    }
  });

  it('classifies models not opened on the account', () => {
    for (const code of ['Model.AccessDenied', 'AccessDenied.Unpurchased', 'AccessDenied', 'Workspace.AccessDenied', 'ModelNotFound', 'model_not_found']) {
      assert.equal(classifyAccountError(upstream(400, code)), 'model_not_open', code);
    }
    assert.equal(accountErrorOf(upstream(403, 'AccessDenied', 'denied'))?.code, 'AccessDenied');
  });

  it('leaves passing conditions and request errors alone', () => {
    for (const error of [upstream(429, 'Throttling.RateQuota'), upstream(504), upstream(500, 'InternalError'), upstream(503), upstream(400, 'InvalidParameter'), upstream(404, undefined, '')]) {
      assert.equal(classifyAccountError(error), null, error.message);
    }
    // A WAF or a content filter answers a bare 403: not the account's, whatever it says.
    for (const message of ['', 'Forbidden', 'Request blocked by security policy']) assert.equal(classifyAccountError(upstream(403, undefined, message)), null, message);
    const circuitOpen = new AppError('engine_unavailable', 'Engine cloud is unavailable after 5 failures in a row (circuit open; next try in about 30 s).', { retryable: false });
    assert.equal(classifyAccountError(circuitOpen), null);
    assert.equal(classifyAccountError(new Error('socket hang up')), null);
  });

  it('backs re-tests off from 1 min, doubling to at most 1 h', () => {
    assert.deepEqual([1, 2, 3, 4, 6, 7, 8, 50].map(nextTestDelayMs), [60_000, 120_000, 240_000, 480_000, 1_920_000, 3_600_000, 3_600_000, 3_600_000]);
    assert.equal(nextTestDelayMs(0), 60_000);
  });
});
