// Test-only: a test app with organizations, and field encryption built on it with a provider that
// counts its calls, so tests can drive keys, rotation and maintenance directly.
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { TEST_KEYRING } from '../../../test/support/databases.ts';
import { manualClock } from '../../platform/clock.ts';
import { createFieldEncryption, type FieldEncryption, type KeyLimits } from './field-encryption.ts';
import { createKeyMaintenance, type KeyMaintenance } from './key-maintenance.ts';
import type { KeyProvider } from '../../platform/crypto/key-provider.ts';
import { createLocalKeyProvider } from '../../platform/crypto/local-key-provider.ts';
import { systemRandom } from '../../platform/crypto/random.ts';
import { createSealer } from '../../platform/crypto/seal.ts';

/** Wraps a provider to count calls by operation. */
export function countingProvider(inner: KeyProvider): KeyProvider & { calls: Record<string, number>; total(): number } {
  const calls: Record<string, number> = {};
  const count = (name: string) => {
    calls[name] = (calls[name] ?? 0) + 1;
  };
  return {
    kind: inner.kind,
    calls,
    total: () => Object.values(calls).reduce((a, b) => a + b, 0),
    primary: () => inner.primary(),
    generateDataKey: (c) => (count('generateDataKey'), inner.generateDataKey(c)),
    wrap: (p, c) => (count('wrap'), inner.wrap(p, c)),
    unwrap: (w, c) => (count('unwrap'), inner.unwrap(w, c)),
    rotate: () => (count('rotate'), inner.rotate()),
    describe: () => inner.describe(),
    destroy: (v) => (count('destroy'), inner.destroy(v)),
  };
}

export interface KeyFixture {
  readonly t: TestApp;
  readonly clock: ReturnType<typeof manualClock>;
  readonly provider: ReturnType<typeof countingProvider>;
  readonly fields: FieldEncryption;
  readonly maintenance: KeyMaintenance;
  /** Creates an organization (a tenant) through the API and returns its id. */
  newTenant(): Promise<string>;
  close(): Promise<void>;
}

export async function createKeyFixture(options: { provider?: KeyProvider; limits?: Partial<KeyLimits>; rotationDays?: number } = {}): Promise<KeyFixture> {
  const clock = manualClock(new Date());
  const t = await createTestApp({ clock });
  const email = `keys-${crypto.randomUUID()}@example.com`;
  await t.createUser(email, TEST_PASSWORD);
  const cookie = await t.login(email, TEST_PASSWORD);
  const provider = countingProvider(options.provider ?? createLocalKeyProvider({ keyring: TEST_KEYRING, now: () => clock.now() }));
  const limits = { cacheMaxAgeMs: 300_000, ...options.limits };
  const fields = createFieldEncryption({ transactor: t.transactor, provider, clock, random: systemRandom, limits, legacy: createSealer(TEST_KEYRING) });
  const maintenance = createKeyMaintenance({ transactor: t.transactor, provider, fields, audit: t.app.services.audit.recorder, clock, options: { rotationDays: options.rotationDays ?? 0, cacheMaxAgeMs: limits.cacheMaxAgeMs, batchSize: 50 } });
  return {
    t,
    clock,
    provider,
    fields,
    maintenance,
    newTenant: async () => {
      const response = await t.inject({ method: 'POST', url: '/api/v1/organizations', payload: { name: `Org ${crypto.randomUUID().slice(0, 8)}` }, headers: { cookie } });
      if (response.statusCode !== 201) throw new Error(response.body);
      return response.json<{ id: string }>().id;
    },
    close: () => t.close(),
  };
}

/** Puts a value in the one encrypted column there is (a webhook destination's secret), bypassing the service. */
export async function insertSecretRow(t: TestApp, tenantId: string, value: string): Promise<string> {
  const id = crypto.randomUUID();
  const now = new Date();
  await t.transactor.withTenant(tenantId, (tx) =>
    tx.insertInto('audit_destinations').values({ tenant_id: tenantId, id, kind: 'webhook', format: 'json', name: `hook ${id}`, host: null, port: null, url: 'https://siem.example.com/hook', ca_pem: null, secret_sealed: value, enabled: false, created_at: now, updated_at: now }).execute(),
  );
  return id;
}

export async function readSecretRow(t: TestApp, tenantId: string, id: string): Promise<string> {
  const row = await t.transactor.withTenant(tenantId, (tx) => tx.selectFrom('audit_destinations').select('secret_sealed').where('id', '=', id).executeTakeFirstOrThrow());
  return row.secret_sealed ?? '';
}

export const secretContext = (tenantId: string, rowId: string) => ({ tenantId, table: 'audit_destinations', column: 'secret_sealed', rowId });
