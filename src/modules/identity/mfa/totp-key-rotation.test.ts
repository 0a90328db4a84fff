import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../../test/support/app.ts';
import { manualClock } from '../../../platform/clock.ts';
import { PLATFORM_TENANT_ID } from '../../audit/index.ts';
import { base32Decode, totp } from './totp.ts';

describe('TOTP seeds under key rotation', () => {
  const clock = manualClock(new Date('2026-05-06T12:00:00Z'));
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ clock });
  });
  after(async () => {
    await t.close();
  });

  it('ENC-2: rotating the platform tenant key re-encrypts TOTP seeds, which keep working', async () => {
    await t.createUser('rotate@example.com', TEST_PASSWORD);
    const cookie = await t.login('rotate@example.com', TEST_PASSWORD);
    const { secret } = (await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp', headers: { cookie } })).json<{ secret: string }>();
    assert.equal((await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp/confirm', payload: { code: totp(base32Decode(secret), clock.now()) }, headers: { cookie } })).statusCode, 200);
    const sealed = async () => (await t.transactor.withPlatform((tx) => tx.selectFrom('totp_factors').select('secret_sealed').executeTakeFirstOrThrow())).secret_sealed;
    assert.match(await sealed(), /^pk1\.1\./);

    const maintenance = t.app.services.keys.maintenance;
    assert.equal(await maintenance.rotateTenant(PLATFORM_TENANT_ID), 2);
    for (let i = 0; i < 3; i++) {
      clock.advance(10 * 60_000);
      await maintenance.pass();
    }
    assert.match(await sealed(), /^pk1\.2\./);

    const login = await t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'rotate@example.com', password: TEST_PASSWORD } });
    const pending = login.cookies.find((c) => c.name === 'parapet_mfa');
    assert.ok(pending);
    const done = await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/verify', payload: { method: 'totp', code: totp(base32Decode(secret), clock.now()) }, headers: { cookie: `parapet_mfa=${pending.value}` } });
    assert.equal(done.statusCode, 200, done.body);
  });
});
