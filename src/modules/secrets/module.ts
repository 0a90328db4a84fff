import { defineModule } from '../contract.ts';
import { SECRETS_AUDIT_ACTIONS } from './audit-actions.ts';
import { SECRETS_ERRORS } from './errors.ts';
import { createSecrets } from './index.ts';
import type { SecretsService } from './secrets-service.ts';
import { SECRETS_RETENTION } from './retention.ts';

declare module '../contract.ts' {
  interface ModuleApis {
    secrets: SecretsService;
  }
}

export const secretsModule = defineModule({
  name: 'secrets',
  summary: 'The secrets vault: versioned, write-only secret values per project and environment, envelope-encrypted (ENC-4).',
  dependsOn: ['audit', 'keys'],
  tables: { secrets: { scope: 'tenant' }, secret_versions: { scope: 'tenant' } },
  migrations: new URL('./migrations/', import.meta.url),
  retention: SECRETS_RETENTION,
  errors: SECRETS_ERRORS,
  auditActions: SECRETS_AUDIT_ACTIONS,
  create: (ctx, { audit, keys }) => {
    const secrets = createSecrets({ transactor: ctx.transactor, clock: ctx.clock, random: ctx.random, keyring: ctx.keyring, audit: audit.recorder, fields: keys.fields });
    return {
      api: secrets.service,
      routes: (http) => {
        secrets.register(http);
      },
    };
  },
});
