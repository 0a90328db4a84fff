import type { AppTransactor } from '../../database.ts';
import { bool, int, isoOrNull, list, maybe, obj, str, time, uuid } from '../../platform/json-schema.ts';
import type { PersonalDataContributor, PersonalDataSection } from '../lifecycle/index.ts';

const request = obj({
  organization_id: uuid,
  id: uuid,
  requested_by_you: bool,
  granted_to_you: bool,
  role: str,
  project_id: maybe(uuid),
  environment_id: maybe(uuid),
  reason: str,
  duration_minutes: int,
  break_glass: bool,
  status: str,
  created_at: time,
  decided_at: maybe(time),
  expires_at: maybe(time),
});

/**
 * The `access_requests` section of the personal data export (DATA-2): just-in-time requests the
 * user made or that grant them a role (`made`, in full), and requests of others the user decided
 * (`decided`: what was decided and when, not the other person's reason).
 */
export const ACCESS_REQUESTS_SECTION: PersonalDataSection = {
  section: 'access_requests',
  schema: obj({ made: list(request), decided: list(obj({ organization_id: uuid, id: uuid, role: str, status: str, decided_at: maybe(time) })) }),
  tables: ['access_requests'],
};

/** The `risky_writes` section: risky writes (AC-7) the user asked for or decided, without their parameters. */
export const RISKY_WRITES_SECTION: PersonalDataSection = {
  section: 'risky_writes',
  schema: list(obj({ organization_id: uuid, id: uuid, operation: str, status: str, requested_by_you: bool, decided_by_you: bool, created_at: time, decided_at: maybe(time) })),
  tables: ['risky_write_approvals'],
};

/**
 * Per organization the user belongs to, inside its context. Rows stay with the organization when
 * the account is deleted: they are its record of who had access and who approved it.
 */
export function accessRequestsPersonalData(deps: { transactor: AppTransactor }): PersonalDataContributor {
  return {
    ...ACCESS_REQUESTS_SECTION,
    collect: async (userId, memberships) => {
      const made = [];
      const decided = [];
      for (const { tenantId } of memberships) {
        const rows = await deps.transactor.withTenant(tenantId, (tx) =>
          tx
            .selectFrom('access_requests')
            .select(['tenant_id', 'id', 'requester_id', 'principal_id', 'decided_by', 'role', 'project_id', 'environment_id', 'reason', 'duration_minutes', 'break_glass', 'status', 'created_at', 'decided_at', 'expires_at'])
            .where('tenant_id', '=', tenantId)
            .where((eb) => eb.or([eb('requester_id', '=', userId), eb('principal_id', '=', userId), eb('decided_by', '=', userId)]))
            .orderBy('id')
            .execute(),
        );
        for (const { tenant_id, requester_id, principal_id, decided_by, ...r } of rows) {
          if (requester_id === userId || principal_id === userId) {
            made.push({ organization_id: tenant_id, ...r, requested_by_you: requester_id === userId, granted_to_you: principal_id === userId, created_at: r.created_at.toISOString(), decided_at: isoOrNull(r.decided_at), expires_at: isoOrNull(r.expires_at) });
          } else if (decided_by === userId) {
            decided.push({ organization_id: tenant_id, id: r.id, role: r.role, status: r.status, decided_at: isoOrNull(r.decided_at) });
          }
        }
      }
      return { made, decided };
    },
  };
}

/** Risky writes the user requested or decided, per organization they belong to. */
export function riskyWritesPersonalData(deps: { transactor: AppTransactor }): PersonalDataContributor {
  return {
    ...RISKY_WRITES_SECTION,
    collect: async (userId, memberships) => {
      const out = [];
      for (const { tenantId } of memberships) {
        const rows = await deps.transactor.withTenant(tenantId, (tx) =>
          tx
            .selectFrom('risky_write_approvals')
            .select(['tenant_id', 'id', 'operation', 'status', 'requested_by', 'decided_by', 'created_at', 'decided_at'])
            .where('tenant_id', '=', tenantId)
            .where((eb) => eb.or([eb('requested_by', '=', userId), eb('decided_by', '=', userId)]))
            .orderBy('id')
            .execute(),
        );
        for (const r of rows) {
          out.push({ organization_id: r.tenant_id, id: r.id, operation: r.operation, status: r.status, requested_by_you: r.requested_by === userId, decided_by_you: r.decided_by === userId, created_at: r.created_at.toISOString(), decided_at: isoOrNull(r.decided_at) });
        }
      }
      return out;
    },
  };
}
