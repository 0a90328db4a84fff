import { defineModule } from '../contract.ts';
import { KEYS_AUDIT_ACTIONS } from './audit-actions.ts';
import { createKeys, keyProviderFor, startKeyMaintenanceLoop, type Keys } from './keys.ts';
import { registerKeysRoutes } from './keys-routes.ts';
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
    return {
      api: keys,
      routes: (http) => {
        registerKeysRoutes(http, { provider: keys.provider, rotationDays: ctx.config.keyRotationDays, maxEncryptions: ctx.config.keyMaxEncryptions });
      },
      jobs: [{ name: 'key maintenance', start: () => startKeyMaintenanceLoop({ db: ctx.db, maintenance: keys.maintenance, logger: ctx.logger }) }],
    };
  },
});
