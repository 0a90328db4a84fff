import type { Transaction } from 'kysely';
import type { AccessTables } from './modules/access/access-tables.ts';
import type { AccessRequestsTables } from './modules/access-requests/access-requests-tables.ts';
import type { AlertsTables } from './modules/alerts/alerts-tables.ts';
import type { ApiKeysTables } from './modules/api-keys/api-keys-tables.ts';
import type { AuditTables } from './modules/audit/audit-tables.ts';
import type { StreamingTables } from './modules/audit-streaming/index.ts';
import type { IdentityTables } from './modules/identity/identity-tables.ts';
import type { MfaTables } from './modules/identity/mfa/mfa-tables.ts';
import type { TenantsTables } from './modules/tenants/tenants-tables.ts';
import type { OAuthTables } from './modules/oauth/oauth-tables.ts';
import type { SecretsTables } from './modules/secrets/secrets-tables.ts';
import type { PasskeysTables } from './modules/passkeys/passkeys-tables.ts';
import type { UserTokensTables } from './modules/tokens/user-tokens-tables.ts';
import type { KeyTables } from './modules/keys/key-tables.ts';
import type { LifecycleTables } from './modules/lifecycle/lifecycle-tables.ts';
import type { OpenIdTables } from './modules/openid/openid-tables.ts';
import type { SsoTables } from './modules/sso/sso-tables.ts';
import type { ScimTables } from './modules/scim/scim-tables.ts';
import type { Transactor } from './platform/db/index.ts';

/** Every table Parapet's application code queries, composed from the modules that own them. */
export interface DB extends IdentityTables, TenantsTables, AuditTables, StreamingTables, AccessTables, AccessRequestsTables, AlertsTables, ApiKeysTables, KeyTables, OAuthTables, SecretsTables, LifecycleTables, MailTables, AccountsTables, MfaTables, PasskeysTables, UserTokensTables, TrustTables, OpenIdTables, SsoTables, IncidentsTables, DisclosureTables, ScimTables, SubscriptionsTables {}
import type { MailTables } from './platform/mail/mail-tables.ts';
import type { AccountsTables } from './modules/accounts/accounts-tables.ts';
import type { TrustTables } from './modules/trust/trust-tables.ts';
import type { IncidentsTables } from './modules/incidents/incidents-tables.ts';
import type { DisclosureTables } from './modules/disclosure/disclosure-tables.ts';
import type { SubscriptionsTables } from './modules/subscriptions/subscriptions-tables.ts';


export type Tx = Transaction<DB>;
export type AppTransactor = Transactor<DB>;
