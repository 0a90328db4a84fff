import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import type { FieldEncryption } from '../keys/index.ts';
import type { Random } from '../../platform/crypto/random.ts';
import type { ChangeFeed } from '../../platform/notify/change-feed.ts';
import type { AccessControl } from '../access/index.ts';
import type { AuditRecorder } from '../audit/index.ts';
import type { Authenticator, RowIntegrity } from '../identity/index.ts';
import { apiKeyAuthenticator, registerApiKeyRequests } from './api-key-authentication.ts';
import { registerApiKeysRoutes } from './api-keys-routes.ts';
import { createApiKeysService, type ApiKeysService } from './api-keys-service.ts';
import { createKeyUsage, type KeyUsage } from './key-usage.ts';
import { createKeyVerifier, type KeyVerifier } from './key-verifier.ts';

export { API_KEY_PATTERN, SIGNING_SECRET_PATTERN, formatApiKey, parseApiKey, isWellFormedKey, keyPrefix, type KeyMode } from './key-format.ts';
export { API_KEYS_TOPIC, type KeyVerifier, type VerifiedKey } from './key-verifier.ts';
export { DEFAULT_KEY_DAYS, DEFAULT_OVERLAP_SECONDS, type ApiKeysService, type CreatedKey } from './api-keys-service.ts';
export type { KeyUsage } from './key-usage.ts';
export type { ApiKeysTables } from './api-keys-tables.ts';

/** The API keys capability, wired: service, verifier with its cache, usage buffer and authenticator. */
export interface ApiKeys {
  readonly service: ApiKeysService;
  readonly verifier: KeyVerifier;
  readonly usage: KeyUsage;
  /** For `registerAuthentication`'s list. */
  readonly authenticator: Authenticator;
  /** App-wide: the request-signature check and usage notes, for a key presented on any route. */
  hooks(root: FastifyInstance): void;
  /** The API key routes. */
  routes(scope: FastifyInstance): void;
  close(): Promise<void>;
}

export function createApiKeys(deps: {
  transactor: AppTransactor;
  clock: Clock;
  random: Random;
  /** Field encryption: signing secrets are envelope-encrypted (ENC-1). */
  fields: Pick<FieldEncryption, 'encryptField' | 'decryptField'>;
  audit: AuditRecorder;
  access: Pick<AccessControl, 'can'>;
  feed: ChangeFeed | undefined;
  logger: Logger;
  maxDays: number;
  /** Row MACs (issue 13): the identity module's. */
  integrity: Pick<RowIntegrity, 'rowMac' | 'rowValid'>;
}): ApiKeys {
  const verifier = createKeyVerifier({ transactor: deps.transactor, clock: deps.clock, fields: deps.fields, feed: deps.feed, integrity: deps.integrity });
  const usage = createKeyUsage({ transactor: deps.transactor, logger: deps.logger });
  const service = createApiKeysService({
    transactor: deps.transactor,
    clock: deps.clock,
    random: deps.random,
    audit: deps.audit,
    access: deps.access,
    fields: deps.fields,
    feed: deps.feed,
    forget: (keyId) => {
      verifier.drop(keyId);
    },
    maxDays: deps.maxDays,
    integrity: deps.integrity,
  });
  return {
    service,
    verifier,
    usage,
    authenticator: apiKeyAuthenticator(verifier),
    hooks: (app) => {
      registerApiKeyRequests(app, { transactor: deps.transactor, clock: deps.clock, random: deps.random, audit: deps.audit, usage });
    },
    routes: (app) => {
      registerApiKeysRoutes(app, { service, clock: deps.clock });
    },
    close: async () => {
      verifier.close();
      await usage.close();
    },
  };
}
export { apiKeysReview } from './api-keys-review.ts';
export { apiKeysModule } from './module.ts';
export { API_KEYS_SECTION, apiKeysPersonalData } from './api-keys-personal-data.ts';
export { API_KEYS_AUDIT_ACTIONS } from './audit-actions.ts';
export { activeKeyCreationTimes, liveKeysMadeByUser } from './api-keys-store.ts';
