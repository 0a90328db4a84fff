import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { newWebhookSecret, signWebhook } from './webhook-signature.ts';

describe('Standard Webhooks signatures', () => {
  it('AUD-5: signs exactly as the standardwebhooks reference library does, and it verifies', () => {
    const secret = newWebhookSecret(randomBytes);
    const at = new Date();
    const body = JSON.stringify({ type: 'audit.events', data: { name: 'Zoë' } });
    const headers = signWebhook(secret, 'msg_1', at, body);
    assert.equal(headers['webhook-signature'], new Webhook(secret).sign('msg_1', at, body));
    assert.equal(headers['webhook-timestamp'], String(Math.floor(at.getTime() / 1000)));
    assert.deepEqual(new Webhook(secret).verify(body, { ...headers }), JSON.parse(body));
    assert.throws(() => new Webhook(newWebhookSecret(randomBytes)).verify(body, { ...headers }), 'another secret verifies');
  });
});
