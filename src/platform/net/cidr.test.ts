import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CidrError, cidrMatcher, normalizeIp, parseCidr, parseCidrList } from './cidr.ts';

describe('CIDR parser', () => {
  it('parses IPv4 and IPv6 ranges with their prefix and family', () => {
    assert.deepEqual(parseCidr('10.20.0.0/16'), { address: '10.20.0.0', prefix: 16, family: 'ipv4' });
    assert.deepEqual(parseCidr('fd00::/8'), { address: 'fd00::', prefix: 8, family: 'ipv6' });
    assert.deepEqual(parseCidr('0.0.0.0/0'), { address: '0.0.0.0', prefix: 0, family: 'ipv4' });
    assert.deepEqual(parseCidr('::/128'), { address: '::', prefix: 128, family: 'ipv6' });
    assert.deepEqual(parseCidr('::ffff:10.0.0.0/104'), { address: '::ffff:10.0.0.0', prefix: 104, family: 'ipv6' });
  });

  it('refuses out-of-range octets and prefixes, leading zeros, zones, signs and junk', () => {
    for (const bad of ['999.1.1.1/99', '999.1.1.1/8', '1.1.1.1/33', '::/129', '1.1.1.1/08', '1.1.1.1/+8', '1.1.1.1/-1', '1.1.1.1/', '/8', '01.1.1.1/8', '1.1.1/8', '1.1.1.1.1/8', 'fe80::1%eth0/64', '1.1.1.1/8/8', 'localhost/8', '1.1.1.1 /8', '', '1.1.1.1/1e1', `${'1'.repeat(80)}/8`]) {
      assert.equal(parseCidr(bad), undefined, bad);
    }
  });

  it('takes a bare address as a single-address range only when asked', () => {
    assert.equal(parseCidr('10.0.0.1'), undefined);
    assert.deepEqual(parseCidr('10.0.0.1', { bareAddress: true }), { address: '10.0.0.1', prefix: 32, family: 'ipv4' });
    assert.deepEqual(parseCidr('2001:db8::1', { bareAddress: true }), { address: '2001:db8::1', prefix: 128, family: 'ipv6' });
  });

  it('parses a comma-separated list and names the first bad entry', () => {
    assert.deepEqual(parseCidrList(' 10.0.0.0/8 , fd00::/8'), ['10.0.0.0/8', 'fd00::/8']);
    assert.deepEqual(parseCidrList(''), []);
    assert.throws(() => parseCidrList('10.0.0.0/8,999.1.1.1/99'), (error: unknown) => error instanceof CidrError && error.message.includes('999.1.1.1/99'));
  });

  it('matches addresses in the ranges, IPv4 seen through a dual-stack socket included', () => {
    const matches = cidrMatcher(['10.0.0.0/8', '2001:db8::/32', '192.0.2.7']);
    assert.equal(matches('10.200.1.1'), true);
    assert.equal(matches('::ffff:10.1.1.1'), true);
    assert.equal(matches('11.0.0.1'), false);
    assert.equal(matches('2001:db8:1::1'), true);
    assert.equal(matches('192.0.2.7'), true);
    assert.equal(matches('192.0.2.8'), false);
    assert.equal(matches('not an address'), false);
    assert.throws(() => cidrMatcher(['10.0.0.0/33']), CidrError);
    assert.equal(normalizeIp('::ffff:127.0.0.1'), '127.0.0.1');
  });
});
