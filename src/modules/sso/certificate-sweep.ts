import { X509Certificate } from 'node:crypto';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { SYSTEM_ACTOR } from '../audit/index.ts';
import type { SecurityAlerts } from '../alerts/index.ts';

/** Advisory lock of the leader that looks for expiring SAML certificates. */
export const SSO_CERTIFICATE_SWEEP_LOCK_KEY = 7450104112;

/**
 * IR-5: every SAML connection's identity-provider certificates, checked against the
 * `sso_certificate_expiring` rule — a certificate that expires within the rule's window (or has
 * expired) raises an alert in its organization, at most once per window per connection (the
 * alert's deduplication). Sign-in with an expired IdP certificate fails for the whole organization,
 * so the administrators are told before. Returns the alerts raised or counted on.
 */
export function createCertificateSweep(deps: { transactor: AppTransactor; clock: Clock; alerts: Pick<SecurityAlerts, 'raise' | 'rule'>; logger: Pick<Logger, 'error'> }) {
  const { transactor, clock, alerts } = deps;
  const ctx = { userId: '', actor: SYSTEM_ACTOR, source: { ip: null, user_agent: null, request_id: null } };
  return async (): Promise<number> => {
    const rule = await alerts.rule('sso_certificate_expiring');
    if (!rule.enabled) return 0;
    const now = clock.now();
    const horizon = now.getTime() + rule.windowSeconds * 1000;
    const tenants = await transactor.withJobs(async (tx) => (await sql<{ t: string }>`select parapet_lifecycle_tenants() as t`.execute(tx)).rows.map((r) => r.t));
    let raised = 0;
    for (const tenantId of tenants) {
      try {
        raised += await transactor.withTenant(tenantId, async (tx) => {
          const connections = await tx.selectFrom('sso_connections').select(['id', 'name', 'saml_idp_certs']).where('tenant_id', '=', tenantId).where('protocol', '=', 'saml').where('saml_idp_certs', 'is not', null).execute();
          let n = 0;
          for (const c of connections) {
            // The certificate that lasts longest decides: an IdP rolling over lists the old and the new one.
            const ends = (c.saml_idp_certs ?? []).map((body) => Date.parse(new X509Certificate(`-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`).validTo));
            const last = Math.max(...ends.filter((t) => Number.isFinite(t)));
            if (!Number.isFinite(last) || last > horizon) continue;
            const when = new Date(last).toISOString().slice(0, 10);
            const alert = await alerts.raise(tx, tenantId, ctx, {
              kind: 'sso_certificate_expiring',
              summary: last <= now.getTime() ? `The identity provider certificate of SAML connection "${c.name}" expired on ${when}: sign-in through it fails until the IdP's new certificate is added.` : `The identity provider certificate of SAML connection "${c.name}" expires on ${when}: add the IdP's new certificate before then.`,
              actorId: null,
              subject: { type: 'sso_connection', id: c.id },
            });
            if (alert !== undefined) n += 1;
          }
          return n;
        });
      } catch (error) {
        deps.logger.error({ err: error, tenantId }, 'SSO certificate sweep failed for an organization');
      }
    }
    return raised;
  };
}
