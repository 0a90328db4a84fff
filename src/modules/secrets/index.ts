import type { FastifyInstance } from 'fastify';
import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import type { FieldEncryption } from '../keys/index.ts';
import type { Keyring } from '../../platform/crypto/keyring.ts';
import type { Random } from '../../platform/crypto/random.ts';
import type { AuditRecorder } from '../audit/index.ts';
import { createSecretLayer } from './secret-layer.ts';
import { registerSecretsRoutes } from './secrets-routes.ts';
import { createSecretsService, type SecretsService } from './secrets-service.ts';

export { MAX_SECRET_BYTES, SECRET_NAME, type SecretScope, type SecretsService, type SecretValue } from './secrets-service.ts';
export { purgeSecretVersionsOlderThan, valueFieldContext } from './secrets-store.ts';
export { createSecretLayer, SecretLayerError, type SecretLayer } from './secret-layer.ts';
export type { SecretsTables } from './secrets-tables.ts';

/** The secrets vault (ENC-4), wired: the service (for the routes, the CLI and retention) and its routes. */
export function createSecrets(deps: { transactor: AppTransactor; clock: Clock; random: Random; keyring: Pick<Keyring, 'derive'>; audit: Pick<AuditRecorder, 'record'>; fields: Pick<FieldEncryption, 'encryptField' | 'decryptField'> }): {
  readonly service: SecretsService;
  register(app: FastifyInstance): void;
} {
  const service = createSecretsService({ transactor: deps.transactor, clock: deps.clock, random: deps.random, audit: deps.audit, fields: deps.fields, layer: createSecretLayer(deps.keyring, deps.random) });
  return {
    service,
    register: (app) => {
      registerSecretsRoutes(app, service);
    },
  };
}
export { secretsModule } from './module.ts';
export { SECRETS_ERRORS } from './errors.ts';
export { SECRETS_AUDIT_ACTIONS } from './audit-actions.ts';
