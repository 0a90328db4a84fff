import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keyringFromRoot } from './keyring.ts';
import { createSealer } from './seal.ts';

const sealer = createSealer(keyringFromRoot('k', Buffer.alloc(32, 3)));
const here = { tenantId: 't1', table: 'audit_destinations', column: 'secret', rowId: 'r1' };

describe('sealed secret columns', () => {
  it('round-trips and never contains the plaintext', () => {
    const sealed = sealer.seal('whsec_canary', here);
    assert.ok(!sealed.includes('whsec_canary'));
    assert.equal(sealer.open(sealed, here), 'whsec_canary');
    assert.notEqual(sealer.seal('whsec_canary', here), sealed, 'fresh nonce each time');
  });

  it('refuses a value moved to another tenant, table, column or row, or tampered with', () => {
    const sealed = sealer.seal('secret', here);
    for (const moved of [{ ...here, tenantId: 't2' }, { ...here, table: 'x' }, { ...here, column: 'y' }, { ...here, rowId: 'r2' }]) {
      assert.throws(() => sealer.open(sealed, moved));
    }
    // Change the second-to-last character (a tag byte) to something it is not.
    const flipped = sealed.slice(0, -2) + (sealed.at(-2) === 'A' ? 'B' : 'A') + sealed.slice(-1);
    assert.throws(() => sealer.open(flipped, here));
    assert.throws(() => createSealer(keyringFromRoot('k', Buffer.alloc(32, 4))).open(sealed, here));
  });
});
