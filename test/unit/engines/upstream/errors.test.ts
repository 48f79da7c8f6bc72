/** Upstream failures in catalog terms: whose fault each one is decides retry, failover or the end. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cleanUpstreamMessage, upstreamError, type UpstreamFailure } from '../../../../src/engines/upstream/errors.js';

function classify(failure: Omit<UpstreamFailure, 'label'>) {
  const error = upstreamError({ label: 'DashScope (cloud)', ...failure });
  return { kind: error.kind, retryable: error.retryable, upstreamCode: error.upstreamCode, retryAfter: error.retryAfterSeconds, field: error.field, message: error.message };
}

describe('upstream errors', () => {
  const cases: Array<[string, Omit<UpstreamFailure, 'label'>, string, boolean]> = [
    // The request's fault: ends the task.
    ['InvalidParameter', { status: 400, code: 'InvalidParameter', message: 'size must be W*H' }, 'invalid_parameter', false],
    ['BadRequest.EmptyInput', { status: 400, code: 'BadRequest.EmptyInput' }, 'invalid_parameter', false],
    ['DataInspectionFailed', { status: 400, code: 'DataInspectionFailed', message: 'Input data may contain inappropriate content.' }, 'content_blocked', false],
    ['InvalidParameter.DataInspection', { status: 400, code: 'InvalidParameter.DataInspection' }, 'content_blocked', false],
    ['OpenAI moderation_blocked', { status: 400, code: 'moderation_blocked' }, 'content_blocked', false],
    ['BadRequest.TooLarge', { status: 413, code: 'BadRequest.TooLarge' }, 'payload_too_large', false],
    ['BadRequest.UnsupportedFileFormat', { status: 415, code: 'BadRequest.UnsupportedFileFormat' }, 'invalid_image', false],
    // The account's: fail over at once.
    ['InvalidApiKey', { status: 401, code: 'InvalidApiKey' }, 'engine_unavailable', false],
    ['AccessDenied.Unpurchased', { status: 403, code: 'AccessDenied.Unpurchased' }, 'engine_unavailable', false],
    ['Model.AccessDenied', { status: 403, code: 'Model.AccessDenied' }, 'engine_unavailable', false],
    ['Arrearage (a 400)', { status: 400, code: 'Arrearage', message: 'Access denied, please make sure your account is in good standing.' }, 'engine_unavailable', false],
    ['AllocationQuota.FreeTierOnly', { status: 403, code: 'AllocationQuota.FreeTierOnly' }, 'engine_unavailable', false],
    ['PrepaidBillOverdue (a 429)', { status: 429, code: 'PrepaidBillOverdue' }, 'engine_unavailable', false],
    ['Model not exist (an InvalidParameter)', { status: 400, code: 'InvalidParameter', message: 'Model not exist.' }, 'engine_unavailable', false],
    ['OpenAI insufficient_quota (a 429)', { status: 429, code: 'insufficient_quota' }, 'engine_unavailable', false],
    ['403 without a code', { status: 403, message: 'forbidden' }, 'engine_unavailable', false],
    ['404: wrong base URL', { status: 404, message: 'HTTP 404' }, 'engine_unavailable', false],
    // Passing conditions: retry, then fail over.
    ['Throttling.RateQuota', { status: 429, code: 'Throttling.RateQuota', retryAfterSeconds: 7 }, 'rate_limited', true],
    ['bare 429', { status: 429 }, 'rate_limited', true],
    ['InternalError', { status: 500, code: 'InternalError' }, 'engine_failed', true],
    ['InternalError.Algo on a 400', { status: 400, code: 'InternalError.Algo', message: 'Missing Content-Length of multimodal url.' }, 'engine_failed', true],
    ['InternalError.Timeout', { status: 500, code: 'InternalError.Timeout' }, 'engine_timeout', true],
    ['ModelUnavailable', { status: 503, code: 'ModelUnavailable' }, 'engine_unavailable', true],
    ['our input URL unreachable', { status: 400, code: 'InvalidParameter.FileDownload', message: 'download for input_image error' }, 'engine_failed', true],
    ['502 without a code', { status: 502 }, 'engine_failed', true],
    ['a FAILED task with an unknown code', { status: 0, code: 'SomethingNew' }, 'engine_failed', true],
    ['fal INFERENCE_TIMEOUT', { status: 0, code: 'INFERENCE_TIMEOUT' }, 'engine_timeout', true],
  ];
  for (const [name, failure, kind, retryable] of cases) {
    it(`${name} → ${kind}${retryable ? ' (retryable)' : ''}`, () => {
      const result = classify(failure);
      assert.equal(result.kind, kind);
      assert.equal(result.retryable, retryable);
      assert.equal(result.upstreamCode, failure.code);
    });
  }

  it('keeps Retry-After on throttling and names the upstream and code in the message', () => {
    const result = classify({ status: 429, code: 'Throttling', message: 'Requests throttling triggered.', retryAfterSeconds: 3 });
    assert.equal(result.retryAfter, 3);
    assert.equal(result.message, 'DashScope (cloud): Requests throttling triggered. (Throttling)');
  });

  it('passes the blamed field on for invalid parameters only', () => {
    assert.equal(classify({ status: 400, code: 'invalid_request_error', field: 'size' }).field, 'size');
    assert.equal(classify({ status: 500, code: 'server_error', field: 'size' }).field, undefined);
  });
});

describe('upstream messages passed on', () => {
  it('are cut short, kept on one line, and never carry a credential the upstream echoed', () => {
    const echoed = upstreamError({ label: 'shop', status: 401, message: `Incorrect API key provided: Bearer sk-UPSTREAM-SECRET-abcdef123456 ${'x'.repeat(20_000)}\nmore` });
    assert.ok(echoed.message.length < 400, `${echoed.message.length} characters`);
    assert.doesNotMatch(echoed.message, /UPSTREAM-SECRET|\n/);
    assert.equal(cleanUpstreamMessage('Incorrect API key provided: sk-abcdefghij; fal Key 01234567-89ab-cdef-0123-456789abcdef:0123456789abcdef0123 end'), 'Incorrect API key provided: [redacted]; fal Key [redacted] end');
  });

  it('redact before they cut, so a key cut at the limit leaves no head behind', () => {
    const cut = cleanUpstreamMessage(`${'x'.repeat(293)} sk-abcdefghijklmnop`);
    assert.doesNotMatch(cut, /sk-a/);
  });
});
