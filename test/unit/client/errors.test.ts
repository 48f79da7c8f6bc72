/** DashScope's error answers as the client's typed errors: by code first, then by status. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AuthenticationError,
  BadRequestError,
  ContentBlockedError,
  InsufficientBalanceError,
  NotFoundError,
  PermissionDeniedError,
  QigError,
  QuotaExceededError,
  RateLimitError,
  ServerError,
  TimeoutError,
  errorFromAnswer,
} from '../../../src/client/errors.js';

type ErrorClass = new (...args: never[]) => QigError;

const body = (code: string, message = `${code} happened`) => ({ code, message, request_id: `req-${code}` });

describe('errorFromAnswer', () => {
  const cases: Array<[number, string, ErrorClass, boolean]> = [
    [400, 'InvalidParameter', BadRequestError, false],
    [400, 'InvalidURL', BadRequestError, false],
    [409, 'Conflict', BadRequestError, false],
    [401, 'InvalidApiKey', AuthenticationError, false],
    [400, 'Arrearage', InsufficientBalanceError, false],
    [403, 'Arrearage', InsufficientBalanceError, false],
    [400, 'Throttling.BillOverdue', InsufficientBalanceError, false],
    [403, 'AccessDenied', PermissionDeniedError, false],
    [403, 'Model.AccessDenied', PermissionDeniedError, false],
    [404, 'NotFound', NotFoundError, false],
    [400, 'DataInspectionFailed', ContentBlockedError, false],
    [400, 'DataInspectionFailed.Output', ContentBlockedError, false],
    [429, 'Throttling.RateQuota', RateLimitError, true],
    [429, 'Throttling.AllocationQuota', QuotaExceededError, false],
    [429, 'budget_exceeded', QuotaExceededError, false],
    [408, 'RequestTimeOut', TimeoutError, true],
    [500, 'InternalError', ServerError, true],
    [502, 'BadGateway', ServerError, true],
    [503, 'ServiceUnavailable', ServerError, true],
    [504, 'GatewayTimeout', ServerError, true],
    [501, 'NotImplemented', ServerError, false],
  ];
  for (const [status, code, Class, retryable] of cases) {
    it(`${status} ${code} → ${Class.name}${retryable ? ', retryable' : ''}`, () => {
      const error = errorFromAnswer(status, body(code), 'req-header');
      assert.ok(error instanceof Class, `${error.name}`);
      assert.ok(error instanceof QigError && error instanceof Error);
      assert.equal(error.name, Class.name);
      assert.equal(error.status, status);
      assert.equal(error.code, code);
      assert.equal(error.retryable, retryable);
      assert.equal(error.message, `${code}: ${code} happened`);
      assert.equal(error.requestId, `req-${code}`, 'the body\'s request id wins over the header\'s');
      assert.deepEqual(error.body, body(code));
    });
  }

  it('classifies by status alone when the body has no code', () => {
    const classes: Array<[number, ErrorClass]> = [[400, BadRequestError], [401, AuthenticationError], [403, PermissionDeniedError], [404, NotFoundError], [408, TimeoutError], [413, BadRequestError], [429, RateLimitError], [500, ServerError]];
    for (const [status, Class] of classes) {
      const error = errorFromAnswer(status, null, 'req-h');
      assert.ok(error instanceof Class, `${status}: ${error.name}`);
      assert.equal(error.code, `HTTP${status}`);
      assert.equal(error.message, `HTTP${status}: HTTP ${status}`);
      assert.equal(error.requestId, 'req-h');
    }
  });

  it('reads a reseller\'s `msg`, a text body, and keeps Retry-After', () => {
    const reseller = errorFromAnswer(200, { code: 'InvalidParameter', msg: 'size is not supported' }, null);
    assert.ok(reseller instanceof BadRequestError);
    assert.equal(reseller.message, 'InvalidParameter: size is not supported');
    assert.equal(reseller.requestId, null);
    const html = errorFromAnswer(502, '<html>502 Bad Gateway</html>', 'req-x');
    assert.ok(html instanceof ServerError);
    assert.equal(html.message, 'HTTP502: <html>502 Bad Gateway</html>');
    const limited = errorFromAnswer(429, body('Throttling.RateQuota'), null, 1000);
    assert.equal(limited.retryAfterMs, 1000);
    assert.equal(errorFromAnswer(500, body('InternalError'), null).retryAfterMs, null);
  });

  it('lets a DashScope code win over a reseller\'s status', () => {
    assert.ok(errorFromAnswer(200, body('Throttling.RateQuota'), null) instanceof RateLimitError);
    assert.ok(errorFromAnswer(403, body('DataInspectionFailed'), null) instanceof ContentBlockedError);
    assert.ok(errorFromAnswer(400, body('InvalidApiKey'), null) instanceof AuthenticationError);
  });
});
