import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSpecialPurposeAddress } from './special-purpose-addresses.ts';

describe('special-purpose addresses', () => {
  it('counts every IANA special-purpose range, multicast and reserved space as special', () => {
    const special = [
      '0.0.0.0', '0.1.2.3', '10.1.2.3', '100.64.0.1', '100.127.255.254', '127.0.0.1', '169.254.169.254', '172.16.0.1', '172.31.255.255', '192.0.0.8', '192.0.2.1',
      '192.88.99.1', '192.168.1.1', '198.18.0.1', '198.19.255.255', '198.51.100.7', '203.0.113.9', '224.0.0.1', '239.255.255.250', '240.0.0.1', '255.255.255.255',
      '::', '::1', '::127.0.0.1', '::ffff:127.0.0.1', '::ffff:8.8.8.8', '64:ff9b::a00:1', '64:ff9b:1::1', '100::1', '2001::1', '2001:2::1', '2001:10::1', '2001:db8::1',
      '2001:db8:ffff::1', '2002:a00:1::1', '3fff::1', '5f00::1', 'fc00::1', 'fd12:3456::1', 'fe80::1', 'febf::1', 'fec0::1', 'ff02::1', 'fe80::1%eth0', 'not-an-ip',
    ];
    for (const address of special) assert.equal(isSpecialPurposeAddress(address), true, address);
  });

  it('leaves ordinary global unicast addresses alone', () => {
    for (const address of ['8.8.8.8', '1.1.1.1', '100.63.255.255', '100.128.0.1', '172.32.0.1', '192.0.3.1', '198.20.0.1', '223.255.255.255', '2001:4860:4860::8888', '2606:4700::1111', '2a00:1450::1']) {
      assert.equal(isSpecialPurposeAddress(address), false, address);
    }
  });
});
