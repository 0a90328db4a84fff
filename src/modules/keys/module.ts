import { Counter } from 'prom-client';
import { defineModule } from '../contract.ts';
import { KEYS_AUDIT_ACTIONS } from './audit-actions.ts';
import { createKeys, keyProviderFor, startKeyMaintenanceLoop, type Keys } from './keys.ts';
import { KEYS_OPTIONS } from './options.ts';

declare module '../contract.ts' {
  interface ModuleApis {
    keys: Keys;
  }
}

export const keysModule = defineModule({
  name: 'keys',
  summary: 'Per-tenant keys under the root key provider, envelope encryption of fields, rotation, crypto-shredding (ENC-1, ENC-2, ENC-3, DATA-3).',
  dependsOn: ['audit'],
  tables: { tenant_keys: { scope: 'tenant' } },
  migrations: new URL('./migrations/', import.meta.url),
  auditActions: KEYS_AUDIT_ACTIONS,
  options: KEYS_OPTIONS,
  create: (ctx, { audit }) => {
    const keys = createKeys({
      config: ctx.config,
      transactor: ctx.transactor,
      provider: ctx.options.keyProvider ?? keyProviderFor(ctx.config, ctx.keyring, { persist: false }),
      keyring: ctx.keyring,
      clock: ctx.clock,
      random: ctx.random,
      audit: audit.recorder,
      ...(ctx.options.shredRegister === undefined ? {} : { shredded: ctx.options.shredRegister }),
    });
    // IR-5: failed calls of the root key provider, by operation (deploy/prometheus/parapet-alerts.yml alerts on them).
    const providerErrors = new Counter({ name: 'parapet_key_provider_errors_total', help: 'Failed calls of the root key provider (local keyring or AWS KMS), by operation.', labelNames: ['operation'], registers: [ctx.metrics.registry] });
    keys.onProviderError((operation) => { providerErrors.inc({ operation }); });
    return {
      api: keys,
      jobs: [{ name: 'key maintenance', start: () => startKeyMaintenanceLoop({ db: ctx.db, maintenance: keys.maintenance, logger: ctx.logger }) }],
    };
  },
});
