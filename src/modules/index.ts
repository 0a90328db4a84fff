/**
 * Every module, in the order they are created: each after the modules it depends on (checked at
 * start). Adding a capability is one folder under `src/modules/` and one line here.
 */
import type { AppModule } from './contract.ts';
import { accessRequestsModule } from './access-requests/index.ts';
import { accessModule } from './access/index.ts';
import { accountsModule } from './accounts/index.ts';
import { alertsModule } from './alerts/index.ts';
import { apiKeysModule } from './api-keys/index.ts';
import { auditStreamingModule } from './audit-streaming/index.ts';
import { auditModule } from './audit/index.ts';
import { consoleModule } from './console/index.ts';
import { incidentsModule } from './incidents/index.ts';
import { disclosureModule } from './disclosure/index.ts';
import { identityModule } from './identity/index.ts';
import { keysModule } from './keys/index.ts';
import { lifecycleModule } from './lifecycle/index.ts';
import { membersModule } from './members/index.ts';
import { oauthModule } from './oauth/index.ts';
import { openidModule } from './openid/index.ts';
import { passkeysModule } from './passkeys/index.ts';
import { scimModule } from './scim/index.ts';
import { secretsModule } from './secrets/index.ts';
import { ssoModule } from './sso/index.ts';
import { tenantsModule } from './tenants/index.ts';
import { tokensModule } from './tokens/index.ts';
import { trustModule } from './trust/index.ts';
import { subscriptionsModule } from './subscriptions/index.ts';

export const MODULES: readonly AppModule[] = [
  auditModule,
  keysModule,
  alertsModule,
  identityModule,
  accessModule,
  apiKeysModule,
  tokensModule,
  oauthModule,
  passkeysModule,
  accountsModule,
  membersModule,
  lifecycleModule,
  accessRequestsModule,
  tenantsModule,
  secretsModule,
  auditStreamingModule,
  ssoModule,
  consoleModule,
  subscriptionsModule,
  trustModule,
  openidModule,
  incidentsModule,
  disclosureModule,
  scimModule,
];
