// The cross-tenant harness: two organizations, each with a member, a project and an environment,
// and the path parameters that address each of them. Modules that add tenant-scoped routes add
// the objects their parameters name to `seedTenant` (and their tables are found automatically).
import assert from 'node:assert/strict';
import { signRequest } from '../../src/sdk/index.ts';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { TestApp } from '../support/app.ts';
import { TEST_PASSWORD } from '../support/app.ts';
import { authenticatorFor, registerPasskey } from '../support/passkeys.ts';
import { samlIdp, signingPair } from '../../src/modules/sso/sso-test-fixture.ts';

export interface TenantFixture {
  readonly label: string;
  readonly userId: string;
  readonly cookie: string;
  /** Path parameter values addressing this tenant's objects, by parameter name (settleAudit adds eventId). */
  readonly params: Record<string, string>;
}

async function created(t: TestApp, cookie: string, url: string, payload: object): Promise<string> {
  const response = await t.inject({ method: 'POST', url, payload, headers: { cookie } });
  assert.equal(response.statusCode, 201, `${url}: ${response.body}`);
  return response.json<{ id: string }>().id;
}

/** Creates an environment-bound API key that signs, and makes one signed call with it (so the replay table has a row). */
async function signedKeyCall(t: TestApp, cookie: string, orgId: string, url: string, environmentId: string): Promise<string> {
  const response = await t.inject({
    method: 'POST',
    url: `/api/v1/organizations/${orgId}/api-keys`,
    payload: { name: 'Key', permissions: ['projects.read', 'environments.read'], environment_id: environmentId, signing: 'required' },
    headers: { cookie },
  });
  assert.equal(response.statusCode, 201, response.body);
  const created = response.json<{ id: string; key: string; signing_secret: string }>();
  const call = await t.inject({ method: 'GET', url, headers: { ...signRequest({ key: created.key, secret: created.signing_secret, method: 'GET', url }) } });
  assert.equal(call.statusCode, 200, call.body);
  return created.id;
}

export async function seedTenant(t: TestApp, label: string): Promise<TenantFixture> {
  const email = `${label}-${crypto.randomUUID()}@example.com`;
  const user = await t.createUser(email, TEST_PASSWORD);
  const cookie = await t.login(email, TEST_PASSWORD);
  const orgId = await created(t, cookie, '/api/v1/organizations', { name: `Org ${label}` });
  const projectId = await created(t, cookie, `/api/v1/organizations/${orgId}/projects`, { name: `Project ${label}` });
  const environmentId = await created(t, cookie, `/api/v1/organizations/${orgId}/projects/${projectId}/environments`, { name: 'production', kind: 'production' });
  const destinationId = await created(t, cookie, `/api/v1/organizations/${orgId}/audit/destinations`, { kind: 'syslog', name: `SIEM ${label}`, host: 'siem.example.com', enabled: false });
  // A webhook destination: its signing secret is the tenant's first encrypted value, so a tenant key (tenant_keys) exists.
  await created(t, cookie, `/api/v1/organizations/${orgId}/audit/destinations`, { kind: 'webhook', name: `Hook ${label}`, url: 'https://siem.example.com/parapet', enabled: false });
  const roleId = await created(t, cookie, `/api/v1/organizations/${orgId}/roles`, { name: `Role ${label}`, permissions: ['projects.read', 'audit.read'] });
  const serviceAccountId = await created(t, cookie, `/api/v1/organizations/${orgId}/service-accounts`, { name: `Robot ${label}` });
  const bindingId = await created(t, cookie, `/api/v1/organizations/${orgId}/bindings`, {
    principal: { type: 'service_account', id: serviceAccountId },
    role: roleId,
    scope: { project_id: projectId },
  });
  // AC-4, AC-6, AC-7: a pending access request, a break-glass alert, and a pending risky write.
  const requestId = await created(t, cookie, `/api/v1/organizations/${orgId}/access-requests`, { role: 'viewer', reason: `Fixture request ${label}`, duration_minutes: 30 });
  const operatorEmail = `${label}-operator-${crypto.randomUUID()}@example.com`;
  await t.createUser(operatorEmail, TEST_PASSWORD, { platformAdmin: true });
  const operator = await t.login(operatorEmail, TEST_PASSWORD);
  await created(t, operator, `/api/v1/organizations/${orgId}/access-requests`, { role: 'viewer', reason: `Fixture break-glass ${label}`, duration_minutes: 30, break_glass: true });
  const alerts = await t.inject({ method: 'GET', url: `/api/v1/organizations/${orgId}/security-alerts`, headers: { cookie } });
  const alertId = alerts.json<{ items: { id: string }[] }>().items[0]?.id ?? '';
  const settings = await t.inject({ method: 'PUT', url: `/api/v1/organizations/${orgId}/settings/risky-writes`, headers: { cookie }, payload: { mode: 'approval' } });
  assert.equal(settings.statusCode, 200, settings.body);
  // AUTH-9: a security policy row.
  const policy = await t.inject({
    method: 'PUT',
    url: `/api/v1/organizations/${orgId}/security-policy`,
    headers: { cookie },
    payload: { mfa_required: false, allowed_mfa_methods: ['totp', 'webauthn'], session_idle_minutes: 60, session_absolute_hours: 24, ip_allowlist: ['0.0.0.0/0', '::/0'] },
  });
  assert.equal(policy.statusCode, 200, policy.body);
  const doomed = await created(t, cookie, `/api/v1/organizations/${orgId}/projects`, { name: `Doomed ${label}` });
  const queued = await t.inject({ method: 'DELETE', url: `/api/v1/organizations/${orgId}/projects/${doomed}`, headers: { cookie } });
  assert.equal(queued.statusCode, 202, queued.body);
  const approvalId = queued.json<{ approval_id: string }>().approval_id;
  // DATA-1, DATA-3: a retention override, and a deletion of the organization requested, approved
  // by a second administrator and cancelled (so organization_deletions has a row and A stays writable).
  const retention = await t.inject({ method: 'PUT', url: `/api/v1/organizations/${orgId}/retention`, headers: { cookie }, payload: { policies: { security_events: 400 } } });
  assert.equal(retention.statusCode, 200, retention.body);
  const secondEmail = `${label}-second-${crypto.randomUUID()}@example.com`;
  const second = await t.createUser(secondEmail, TEST_PASSWORD);
  await t.transactor.withTenant(orgId, async (tx) => {
    await tx.insertInto('memberships').values({ tenant_id: orgId, user_id: second.id, role: 'member', created_at: new Date() }).execute();
    await t.app.services.access.changed(tx, orgId);
  });
  await created(t, cookie, `/api/v1/organizations/${orgId}/bindings`, { principal: { type: 'user', id: second.id }, role: 'tenant_admin', scope: {} });
  const secondCookie = await t.login(secondEmail, TEST_PASSWORD);
  const deletion = await t.inject({ method: 'DELETE', url: `/api/v1/organizations/${orgId}`, headers: { cookie } });
  assert.equal(deletion.statusCode, 202, deletion.body);
  const approved = await t.inject({ method: 'POST', url: `/api/v1/organizations/${orgId}/approvals/${deletion.json<{ approval_id: string }>().approval_id}/approve`, headers: { cookie: secondCookie } });
  assert.equal(approved.statusCode, 200, approved.body);
  const cancelled = await t.inject({ method: 'DELETE', url: `/api/v1/organizations/${orgId}/deletion`, headers: { cookie } });
  assert.equal(cancelled.statusCode, 204, cancelled.body);
  const keyId = await signedKeyCall(t, cookie, orgId, `/api/v1/organizations/${orgId}/projects/${projectId}/environments/${environmentId}`, environmentId);
  const clientId = await oauthClientWithAssertion(t, cookie, `/api/v1/organizations/${orgId}/service-accounts/${serviceAccountId}/clients`);
  // ENC-4: a secret with two versions (the name differs per tenant, so B's listings cannot match A's by accident).
  const secretName = `FIXTURE_${label.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
  for (const value of ['first value', 'second value']) {
    await created(t, cookie, `/api/v1/organizations/${orgId}/projects/${projectId}/environments/${environmentId}/secrets`, { name: secretName, value: `${label} ${value}` });
  }
  // A pending invitation (its mail goes to the test app's own outbox).
  const invitationId = await created(t, cookie, `/api/v1/organizations/${orgId}/invitations`, { email: `${label}-invitee-${crypto.randomUUID()}@example.com`, role: 'viewer' });
  // A passkey (platform-level, the user's own) registered through a real WebAuthn ceremony.
  const passkeyId = await registerPasskey(t, cookie, authenticatorFor(t), `Key ${label}`);
  // TEN-1: the trust center's canary table (its probes use throwaway tenants; this row makes the table non-empty for A).
  await t.transactor.withTenant(orgId, (tx) => tx.insertInto('trust_canary').values({ tenant_id: orgId, id: crypto.randomUUID(), written_at: new Date() }).execute());
  // AUD-2: the trust center's verified position of this organization's audit log (incremental verification).
  await t.transactor.withTenant(orgId, (tx) => tx.insertInto('trust_log_positions').values({ tenant_id: orgId, size: 0, root: '', frontier: '', note: `position of ${label}`, verified_at: new Date(), full_verified_at: new Date() }).execute());
  // An OpenID application (issue 17) in the environment.
  const application = await t.inject({ method: 'POST', url: `/api/v1/organizations/${orgId}/projects/${projectId}/environments/${environmentId}/applications`, headers: { cookie }, payload: { name: `App ${label}`, client_type: 'confidential', redirect_uris: ['https://app.example.com/callback'] } });
  assert.equal(application.statusCode, 201, application.body);
  const applicationId = application.json<{ client_id: string }>().client_id;
  // A resource server (JWT access tokens, issue 17) in the environment, and the organization's hosted-page branding.
  const resourceServerId = await created(t, cookie, `/api/v1/organizations/${orgId}/projects/${projectId}/environments/${environmentId}/resource-servers`, { name: `API ${label}`, identifier: `https://api-${label}.example.com/`, scopes: ['orders:read'] });
  await t.transactor.withTenant(orgId, (tx) => tx.insertInto('oidc_branding').values({ tenant_id: orgId, display_name: `Brand ${label}`, logo_url: null, primary_color: '#112233', background_color: null, updated_by: user.id, updated_at: new Date() }).execute());
  // Self-service sign-up (issue 17): the environment's settings, and a sign-up waiting for its verification.
  const signUp = await t.inject({ method: 'PUT', url: `/api/v1/organizations/${orgId}/projects/${projectId}/environments/${environmentId}/sign-up`, headers: { cookie }, payload: { mode: 'open', allowed_domains: ['example.com'] } });
  assert.equal(signUp.statusCode, 200, signUp.body);
  await t.transactor.withTenant(orgId, (tx) => tx.insertInto('oidc_sign_ups').values({ tenant_id: orgId, id: crypto.randomUUID(), environment_id: environmentId, client_id: applicationId, email: `${label}-signup@example.com`, email_normalized: `${label}-signup@example.com`.toLowerCase(), password_hash: 'x', token_hash: Buffer.alloc(32, 3), created_at: new Date(), expires_at: new Date(Date.now() + 86_400_000), used_at: null }).execute());

  // AUTH-4: a SAML connection, a claimed domain and a started sign-in (its state row).
  const connectionId = await created(t, cookie, `/api/v1/organizations/${orgId}/sso/connections`, { name: `IdP ${label}`, protocol: 'saml', default_role: 'viewer', saml: { metadata_xml: samlIdp(signingPair(`idp-${label}`)).metadata } });
  const domainId = await created(t, cookie, `/api/v1/organizations/${orgId}/sso/domains`, { domain: `${label}-${crypto.randomUUID().slice(0, 8)}.example.org`, connection_id: connectionId });
  const ruleId = await created(t, cookie, `/api/v1/organizations/${orgId}/sso/connections/${connectionId}/group-roles`, { group_name: `Staff ${label}`, role: 'viewer' });
  const setupLink = await t.inject({ method: 'POST', url: `/api/v1/organizations/${orgId}/sso/setup-links`, headers: { cookie }, payload: {} });
  assert.equal(setupLink.statusCode, 201, setupLink.body);
  const linkId = setupLink.json<{ link: { id: string } }>().link.id;
  const ssoPolicy = await t.inject({ method: 'PUT', url: `/api/v1/organizations/${orgId}/sso/policy`, headers: { cookie }, payload: { require_sso: false, break_glass_user_ids: [user.id] } });
  assert.equal(ssoPolicy.statusCode, 200, ssoPolicy.body);
  const ssoStart = await t.inject({ method: 'GET', url: `/sso/start?org=${orgId}&connection=${connectionId}` });
  assert.equal(ssoStart.statusCode, 302, ssoStart.body);
  // AUTH-4 (SCIM): a directory with a group-to-role mapping (admin API); a SCIM user linked to the
  // fixture's own account, a group and its membership (the SCIM protocol provisions only verified
  // domains, which the fixture has none of, so these rows are written in the tenant's context).
  const scimDirectory = await t.inject({ method: 'POST', url: `/api/v1/organizations/${orgId}/scim/directories`, headers: { cookie }, payload: { name: `Directory ${label}`, default_role: 'viewer' } });
  assert.equal(scimDirectory.statusCode, 201, scimDirectory.body);
  const directoryId = scimDirectory.json<{ directory: { id: string } }>().directory.id;
  const mappingId = await created(t, cookie, `/api/v1/organizations/${orgId}/scim/directories/${directoryId}/group-roles`, { group_name: `Group ${label}`, role: 'viewer' });
  await t.transactor.withTenant(orgId, async (tx) => {
    const now = new Date();
    const scimUserId = crypto.randomUUID();
    const scimGroupId = crypto.randomUUID();
    await tx.insertInto('scim_users').values({ tenant_id: orgId, directory_id: directoryId, id: scimUserId, user_id: user.id, user_name: email, external_id: null, active: true, display_name: null, given_name: null, family_name: null, emails: '[]' as never, applied_roles: [], created_at: now, updated_at: now }).execute();
    await tx.insertInto('scim_groups').values({ tenant_id: orgId, directory_id: directoryId, id: scimGroupId, display_name: `Group ${label}`, external_id: null, created_at: now, updated_at: now }).execute();
    await tx.insertInto('scim_group_members').values({ tenant_id: orgId, group_id: scimGroupId, scim_user_id: scimUserId }).execute();
    // The record of a binding an SSO group rule made (a sign-in would write it; the fixture has no verified domain).
    await tx.insertInto('sso_group_bindings').values({ tenant_id: orgId, connection_id: connectionId, user_id: user.id, rule_id: ruleId, binding_id: crypto.randomUUID(), created_at: now }).execute();
  });
  // IR-3: an incident notice to A's administrators (the incident is platform-level; what A was told is A's).
  const incidentForNotice = await created(t, operator, '/api/v1/platform/incidents', { title: `Incident ${label}`, severity: 'high', affected_organizations: [orgId] });
  const notice = await t.inject({ method: 'POST', url: `/api/v1/platform/incidents/${incidentForNotice}/notices`, headers: { cookie: operator }, payload: { template: 'initial' } });
  assert.equal(notice.statusCode, 201, notice.body);
  return { label, userId: user.id, cookie, params: { userId: user.id, orgId, projectId, environmentId, destinationId, roleId, serviceAccountId, bindingId, requestId, alertId, approvalId, keyId, clientId, secretName, invitationId, passkeyId, entryId: crypto.randomUUID(), applicationId, connectionId, domainId, ruleId, linkId,
    resourceServerId,
    // Platform-level records (incidents, disclosure reports) belong to no tenant: an unknown id is enough for routes that must refuse bad input first.
    incidentId: crypto.randomUUID(), clockId: crypto.randomUUID(), reportId: crypto.randomUUID(), componentId: crypto.randomUUID(),
    attachmentId: crypto.randomUUID(), attestationId: crypto.randomUUID(),
    directoryId, mappingId,
    // Subscriptions (platform-level): an unknown published item.
    itemId: crypto.randomUUID(),
    // Alert rules (platform-level): a rule's kind.
    kind: 'lockouts',
    // Status page maintenance (platform-level): an unknown window.
    maintenanceId: crypto.randomUUID(),
    // Incident review actions and status checks (platform-level): unknown ids; a notice template kind
    // (one no tenant B response contains: the suite looks for every value of A in B's answers).
    actionId: crypto.randomUUID(), checkId: crypto.randomUUID(), template: 'breach' } };
}

/** A private_key_jwt OAuth client that has used one assertion (so the jti replay table has a row too). */
async function oauthClientWithAssertion(t: TestApp, cookie: string, url: string): Promise<string> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA');
  const created = await t.inject({ method: 'POST', url, payload: { name: 'ci', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [await exportJWK(publicKey)] } }, headers: { cookie } });
  assert.equal(created.statusCode, 201, created.body);
  const clientId = created.json<{ client_id: string }>().client_id;
  const assertion = await new SignJWT({ jti: crypto.randomUUID() })
    .setProtectedHeader({ alg: 'EdDSA' })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(t.config.publicUrl)
    .setExpirationTime('1m')
    .sign(privateKey);
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion });
  const token = await t.inject({ method: 'POST', url: '/oauth/token', payload: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(token.statusCode, 200, token.body);
  return clientId;
}

/**
 * Sequences every pending audit event (so the log tables have rows), then leaves one event
 * pending per tenant, so the inbox has rows too.
 */
export async function settleAudit(t: TestApp, tenants: readonly TenantFixture[]): Promise<void> {
  // Buffered last-use writes (role bindings, API keys) are written now, not by a timer in the middle of a test.
  // Queued mail is delivered (its status rows settle) before anyone snapshots the database.
  await t.app.services.mail.idle();
  await t.app.services.access.flushUses();
  await t.app.services.apiKeys.usage.flush();
  await t.app.services.audit.apiCalls.flush();
  await t.app.services.audit.sequencer.drain();
  for (const tenant of tenants) {
    const tenantId = tenant.params['orgId'] ?? '';
    const event = await t.transactor.withTenant(tenantId, (tx) => tx.selectFrom('audit_events').select('id').where('tenant_id', '=', tenantId).orderBy('seq').limit(1).executeTakeFirstOrThrow());
    tenant.params['eventId'] = event.id;
    await t.transactor.withTenant(tenantId, (tx) => tx.insertInto('audit_settings').values({ tenant_id: tenantId, retention_days: 400, updated_at: new Date() }).execute());
    await t.transactor.withTenant(tenantId, (tx) =>
      t.app.services.audit.recorder.record(tx, tenantId, { action: 'project.renamed', actor: { type: 'user', id: tenant.userId, display_name: tenant.label }, outcome: 'success' }),
    );
  }
}
