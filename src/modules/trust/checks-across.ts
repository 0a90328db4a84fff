import { sql } from 'kysely';
import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { PLATFORM_TENANT_ID } from '../audit/index.ts';
import type { OrgCheck, OrgFinding } from './checks-organization.ts';
import { fail, notApplicable, pass, type TrustCheck } from './checks/trust-check.ts';

/** Organizations named in a failing result's private detail (the public statement names none). */
const DETAIL_ORGANIZATIONS = 20;

/**
 * Every organization's id, as the cross-tenant jobs find them: `parapet_lifecycle_tenants()` in the
 * verified jobs context (ids only, migration 0054); each organization is then read inside its own
 * tenant context. The application role gains no cross-tenant read.
 */
export async function organizationIds(transactor: AppTransactor): Promise<string[]> {
  const { rows } = await transactor.withJobs((tx) => sql<{ t: string }>`select parapet_lifecycle_tenants() as t`.execute(tx));
  return rows.map((r) => r.t).sort();
}

/**
 * The deployment-wide control of an organization check: evaluated for every organization (or, with
 * `perRun`, for a rotating window of that many, so one run's work is bounded and every organization
 * comes round within ⌈organizations / perRun⌉ runs). Fails when any organization evaluated fails;
 * not applicable when none applies. The public statement gives counts only.
 */
export function acrossOrganizations(check: OrgCheck, deps: { transactor: AppTransactor; clock: Clock; perRun?: number; includePlatform?: boolean }): TrustCheck {
  let cursor = '';
  return {
    id: check.id,
    claims: check.claims,
    title: check.title,
    run: async () => {
      let ids = await organizationIds(deps.transactor);
      const total = ids.length;
      if (deps.perRun !== undefined && ids.length > deps.perRun) {
        const next = ids.filter((id) => id > cursor);
        ids = [...next, ...ids.filter((id) => id <= cursor)].slice(0, deps.perRun);
        cursor = ids[ids.length - 1] ?? '';
      }
      if (deps.includePlatform === true) ids = [PLATFORM_TENANT_ID, ...ids];
      const now = deps.clock.now();
      const findings: [string, OrgFinding][] = [];
      for (const id of ids) findings.push([id, await check.evaluate(id, now)]);
      const failing = findings.filter(([, f]) => f.status === 'fail');
      const applicable = findings.filter(([, f]) => f.status !== 'not_applicable');
      const scope = deps.perRun !== undefined && total > deps.perRun ? ` (this run: ${ids.length} of ${total}, in rotation)` : '';
      if (failing.length > 0) {
        const detail = failing.slice(0, DETAIL_ORGANIZATIONS).map(([id, f]) => `${id}: ${f.summary}`).join('; ');
        return fail(`${failing.length} of ${applicable.length} organizations checked fail: ${check.title}${scope}`, detail);
      }
      if (applicable.length === 0) return notApplicable(`No organization to check: ${check.title}`, `${ids.length} organization(s) evaluated, none applicable`);
      return pass(`${applicable.length} of ${applicable.length} organizations ${check.passingNoun}${scope}.`, `${ids.length} evaluated, ${ids.length - applicable.length} not applicable`);
    },
  };
}
