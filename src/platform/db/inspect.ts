import type { OwnerSession } from './connect.ts';

export interface TableSecurity {
  readonly table: string;
  readonly hasTenantId: boolean;
  readonly rlsEnabled: boolean;
  readonly rlsForced: boolean;
  readonly policies: number;
}

/** Row-level security state of every ordinary table in the public schema. */
export async function inspectTables(session: OwnerSession): Promise<TableSecurity[]> {
  const rows = await session.query<{ table: string; has_tenant_id: boolean; enabled: boolean; forced: boolean; policies: string | number }>(`
    select c.relname as table,
           exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped) as has_tenant_id,
           c.relrowsecurity as enabled,
           c.relforcerowsecurity as forced,
           (select count(*) from pg_policy p where p.polrelid = c.oid) as policies
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relkind in ('r', 'p')
     order by c.relname`);
  return rows.map((row) => ({ table: row.table, hasTenantId: row.has_tenant_id, rlsEnabled: row.enabled, rlsForced: row.forced, policies: Number(row.policies) }));
}

/**
 * Tables that break the isolation rule: a table with `tenant_id` (or any table not declared
 * platform-level) must have row-level security enabled and forced, with at least one policy.
 */
export function isolationViolations(tables: readonly TableSecurity[], platformTables: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  for (const t of tables) {
    const tenantOwned = t.hasTenantId || !platformTables.has(t.table);
    if (!tenantOwned) continue;
    if (!t.rlsEnabled || !t.rlsForced || t.policies === 0) {
      problems.push(`${t.table}: ${t.hasTenantId ? 'has tenant_id' : 'is not a declared platform table'} but RLS is ${t.rlsEnabled ? 'enabled' : 'disabled'}, ${t.rlsForced ? 'forced' : 'not forced'}, ${t.policies} ${t.policies === 1 ? 'policy' : 'policies'}`);
    }
  }
  return problems;
}
