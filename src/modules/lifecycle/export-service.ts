import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { PLATFORM_TENANT_ID, type AuditContext, type AuditRecorder } from '../audit/index.ts';
import { EXPORT_SCHEMA_VERSION, type PersonalDataContributor } from './personal-data.ts';
import { tenancy } from '../tenants/index.ts';

/**
 * DATA-2 access and portability: everything Parapet holds about one user, as one JSON document
 * (schema: docs/data-export.schema.json). Only the user's own rows: memberships are read in the
 * user's own context, each organization's rows inside that organization's context, filtered to
 * the user. The download is audited (`user.exported`).
 */
export function createExportService(deps: { transactor: AppTransactor; clock: Clock; audit: Pick<AuditRecorder, 'record'>; contributors: () => readonly PersonalDataContributor[] }) {
  const { transactor, clock, audit } = deps;
  return {
    exportUser: async (ctx: AuditContext, userId: string): Promise<Record<string, unknown>> => {
      const memberships = (await transactor.withActor(userId, (tx) => tenancy.organizationsOfUser(tx, userId))).map((id) => ({ tenantId: id }));
      const deletion = await transactor.withPlatform((tx) => tx.selectFrom('user_deletions').select(['requested_at', 'purge_after']).where('user_id', '=', userId).executeTakeFirst());
      const document: Record<string, unknown> = {
        schema_version: EXPORT_SCHEMA_VERSION,
        generated_at: clock.now().toISOString(),
        user_id: userId,
        deletion: deletion === undefined ? null : { requested_at: deletion.requested_at.toISOString(), purge_after: deletion.purge_after.toISOString() },
      };
      for (const contributor of deps.contributors()) document[contributor.section] = await contributor.collect(userId, memberships);
      await transactor.withTenant(PLATFORM_TENANT_ID, (tx) =>
        audit.record(tx, PLATFORM_TENANT_ID, { action: 'user.exported', actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [{ type: 'user', id: userId }], metadata: { organizations: memberships.length, sections: deps.contributors().length } }),
      );
      return document;
    },
  };
}

export type ExportService = ReturnType<typeof createExportService>;
