import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAddressGuard } from './network-guard.ts';

const resolve = (guard: ReturnType<typeof createAddressGuard>, host: string) =>
  new Promise<string>((ok, fail) => {
    guard.lookup(host, { family: 0 }, (error, address) => {
      if (error === null) ok(typeof address === 'string' ? address : (address[0]?.address ?? ''));
      else fail(error);
    });
  });

describe('destination address policy', () => {
  it('AUD-5: refuses loopback, private, link-local (cloud metadata) and other reserved addresses', () => {
    const guard = createAddressGuard([]);
    for (const address of ['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '64:ff9b::a00:1']) {
      assert.throws(() => {
        guard.assertAllowed(address);
      }, /private or reserved/, address);
    }
    for (const address of ['8.8.8.8', '2001:4860:4860::8888', 'siem.example.com']) guard.assertAllowed(address);
  });

  it('AUD-5: opens only the networks the operator lists', () => {
    const guard = createAddressGuard(['10.1.0.0/16']);
    guard.assertAllowed('10.1.200.3');
    assert.throws(() => {
      guard.assertAllowed('10.2.0.1');
    });
    assert.throws(() => createAddressGuard(['10.1.0.0']), /not a CIDR/);
    assert.throws(() => createAddressGuard(['999.1.1.1/99']), /not a CIDR/);
  });

  it('AUD-5: a host name that resolves to a refused address is refused at connection time', async () => {
    await assert.rejects(resolve(createAddressGuard([]), 'localhost'), /private or reserved/);
    assert.match(await resolve(createAddressGuard(['127.0.0.0/8', '::1/128']), 'localhost'), /^(127\.0\.0\.1|::1)$/);
  });

  it('AUD-5: refuses the documentation, benchmarking, reserved and translation ranges of the IANA registries', () => {
    const guard = createAddressGuard([]);
    for (const address of ['2001:db8::1', '192.0.2.1', '198.51.100.1', '203.0.113.1', '198.18.0.1', '240.0.0.1', '255.255.255.255', '100::1', '2001::1', '2002:a00:1::1', 'ff02::1', '::ffff:8.8.8.8']) {
      assert.throws(() => {
        guard.assertAllowed(address);
      }, /private or reserved/, address);
    }
  });

  it('AUD-5: a host name is resolved when saved and refused if any answer is refused', async () => {
    const answers: Record<string, { address: string; family: number }[]> = {
      'public.example': [{ address: '93.184.216.34', family: 4 }],
      'mixed.example': [{ address: '93.184.216.34', family: 4 }, { address: '10.0.0.7', family: 4 }],
      'doc.example': [{ address: '2001:db8::5', family: 6 }],
    };
    const guard = createAddressGuard([], { resolveAll: async (host) => answers[host] ?? [] });
    await guard.assertResolvesAllowed('public.example');
    await guard.assertResolvesAllowed('unknown.example');
    await assert.rejects(guard.assertResolvesAllowed('mixed.example'), /resolves to a private or reserved/);
    await assert.rejects(guard.assertResolvesAllowed('doc.example'), /resolves to a private or reserved/);
    await assert.rejects(guard.assertResolvesAllowed('10.0.0.7'), /private or reserved/);
    await createAddressGuard(['10.0.0.0/8'], { resolveAll: async (host) => answers[host] ?? [] }).assertResolvesAllowed('mixed.example');
  });
});
