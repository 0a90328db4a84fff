import { sql } from 'kysely';
import type { AppTransactor } from '../../../database.ts';
import type { Clock } from '../../../platform/clock.ts';
import { uuidv7, type Random } from '../../../platform/crypto/random.ts';
import { inspectTables, isolationViolations, type OwnerSession } from '../../../platform/db/index.ts';
import { fail, pass, type TrustCheck } from './trust-check.ts';

/**
 * TEN-1: every table with a `tenant_id` column, and every table not declared platform-level, has
 * row-level security enabled and forced with a policy — read from the live catalogue on the
 * application's own connection (the same rule as `parapet doctor` and the isolation tests).
 */
export function forcedRlsCheck(deps: { transactor: AppTransactor; platformTables: () => Promise<ReadonlySet<string>> }): TrustCheck {
  return {
    id: 'ten1.forced-rls',
    claims: ['TEN-1'],
    title: 'Every tenant table has row-level security enabled and forced, read from the live database catalogue.',
    run: async () => {
      const tables = await deps.transactor.withPlatform(async (tx) => {
        // The catalogue is readable by the application role; inspectTables issues one parameterless query.
        const session: OwnerSession = {
          query: async <R>(text: string) => (await sql.raw<R>(text).execute(tx)).rows,
          exec: async () => {
            throw new Error('read-only session');
          },
        };
        return inspectTables(session);
      });
      const platformTables = await deps.platformTables();
      const violations = isolationViolations(tables, platformTables);
      if (violations.length > 0) return fail(`${violations.length} tenant table(s) lack forced row-level security.`, violations.join('; '));
      const tenantTables = tables.filter((t) => t.hasTenantId || !platformTables.has(t.table)).length;
      return pass(`All ${tenantTables} tenant tables have row-level security enabled and forced, with a policy.`, `${tables.length} tables inspected`);
    },
  };
}

/** PostgreSQL's SQLSTATE for a row refused by a policy's WITH CHECK (and other privilege failures). */
const INSUFFICIENT_PRIVILEGE = '42501';

/**
 * TEN-1 live canary: two throwaway probe tenants. A writes a row; B reads it back with no tenant
 * filter (as a query that forgot one would) and tries to write a row claiming A's tenant id. Passes
 * only when A can read its own row (the probe is not vacuous), B sees nothing and B's write is
 * refused by the database.
 */
export function canaryCheck(deps: { transactor: AppTransactor; clock: Clock; random: Random }): TrustCheck {
  const { transactor, clock, random } = deps;
  return {
    id: 'ten1.canary',
    claims: ['TEN-1'],
    title: 'A live canary: a row written by one probe tenant is invisible to, and cannot be written by, another.',
    run: async () => {
      const a = crypto.randomUUID();
      const b = crypto.randomUUID();
      const rowId = uuidv7(clock, random);
      await transactor.withTenant(a, (tx) => tx.insertInto('trust_canary').values({ tenant_id: a, id: rowId, written_at: clock.now() }).execute());
      try {
        const ownRead = await transactor.withTenant(a, (tx) => tx.selectFrom('trust_canary').select('id').where('id', '=', rowId).execute());
        if (ownRead.length !== 1) return fail('The tenant isolation canary could not read its own row, so it proves nothing.', 'probe tenant A did not read its own row');
        // Deliberately no tenant filter: the database alone must refuse the row.
        const crossRead = await transactor.withTenant(b, (tx) => tx.selectFrom('trust_canary').select(['id', 'tenant_id']).execute());
        if (crossRead.some((row) => row.tenant_id === a)) return fail("One probe tenant read another tenant's row.", `probe tenant B read ${crossRead.length} row(s) of probe tenant A`);
        const crossWrite = await transactor
          .withTenant(b, (tx) => tx.insertInto('trust_canary').values({ tenant_id: a, id: uuidv7(clock, random), written_at: clock.now() }).execute())
          .then(
            () => 'written' as const,
            (error: unknown) => {
              if ((error as { code?: unknown }).code === INSUFFICIENT_PRIVILEGE) return 'refused' as const;
              throw error instanceof Error ? error : new Error(String(error));
            },
          );
        if (crossWrite === 'written') return fail("One probe tenant wrote a row into another tenant's data.", 'probe tenant B inserted a row with tenant A’s id');
        return pass("A row written by one probe tenant was invisible to another, and the other's write into it was refused by the database.", 'read: 0 rows; write: refused with SQLSTATE 42501');
      } finally {
        await transactor.withTenant(a, (tx) => tx.deleteFrom('trust_canary').where('tenant_id', '=', a).execute());
      }
    },
  };
}
