/** Webhook signatures and the retry schedule. */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { retryDelayMs } from '../../../src/services/webhook-delivery.js';
import { signWebhook, verifyWebhookSignature } from '../../../src/services/webhook-signature.js';

describe('webhook signatures', () => {
  const secret = 'a-secret-of-some-length';
  const body = '{"request_id":"x","status":"OK"}';

  it('is v1=hex(HMAC-SHA256(secret, "timestamp.body")), as docs/queues.md shows', () => {
    const expected = createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
    assert.equal(signWebhook(secret, 1700000000, body), `v1=${expected}`);
  });

  it('verifies a fresh signature and refuses a changed body, another secret or an old timestamp', () => {
    const now = 1700000000;
    const signature = signWebhook(secret, now, body);
    assert.equal(verifyWebhookSignature(secret, body, String(now), signature, { nowSeconds: now + 10 }), true);
    assert.equal(verifyWebhookSignature(secret, `${body} `, String(now), signature, { nowSeconds: now }), false);
    assert.equal(verifyWebhookSignature('another-secret', body, String(now), signature, { nowSeconds: now }), false);
    assert.equal(verifyWebhookSignature(secret, body, String(now), signature, { nowSeconds: now + 301 }), false);
    assert.equal(verifyWebhookSignature(secret, body, undefined, signature), false);
    assert.equal(verifyWebhookSignature(secret, body, String(now), 'v1=00', { nowSeconds: now }), false);
  });
});

describe('webhook retry schedule', () => {
  it('waits firstRetrySeconds, then doubles: about 2 hours over the default 10 attempts', () => {
    assert.deepEqual([1, 2, 3, 4].map((attempts) => retryDelayMs(attempts, 15_000)), [15_000, 30_000, 60_000, 120_000]);
    // Nine waits separate ten attempts.
    const total = Array.from({ length: 9 }, (_, i) => retryDelayMs(i + 1, 15_000)).reduce((a, b) => a + b, 0);
    assert.equal(total, 7_665_000);
    assert.ok(total / 3_600_000 > 2 && total / 3_600_000 < 2.2);
  });
});
