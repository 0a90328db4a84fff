import type { Tx } from '../../database.ts';
import { csvLine } from '../../platform/csv/csv-line.ts';
import type { AuditActor, AuditRecorder, AuditSource } from '../audit/index.ts';
import { loadAccessState } from './access-store.ts';
import type { BindingIntegrity } from './binding-integrity.ts';
import { snapshotSource } from './access-cache.ts';
import type { Conditions } from './conditions.ts';
import { identityReads } from '../identity/index.ts';

/** A grant is stale when unused (or never used) for this long (AC-5). */
export const STALE_AFTER_DAYS = 90;
/** Credentials older than this are flagged for rotation (AUTH-7); from `NEARING` days they are flagged as nearing it. */
export const CREDENTIAL_ROTATION_DAYS = 90;
export const CREDENTIAL_NEARING_DAYS = 80;

export type ReviewFlag = 'stale_grant' | 'never_used' | 'expires_soon' | 'credential_older_than_90_days' | 'credential_nearing_90_days' | 'conditional' | 'just_in_time' | 'not_a_member' | 'creator_lost_access';

/** One source of permissions a principal holds: a role binding, or a credential's own set. */
export interface ReviewGrant {
  readonly source: 'binding' | 'api_key';
  readonly id: string;
  readonly role: string | null;
  readonly scope: { readonly project_id: string | null; readonly environment_id: string | null };
  readonly permissions: readonly string[];
  readonly conditions: Conditions | null;
  readonly created_at: string | null;
  readonly expires_at: string | null;
  readonly grant_id: string | null;
  readonly last_used_at: string | null;
  readonly flags: readonly ReviewFlag[];
}

export interface ReviewPrincipal {
  readonly type: 'user' | 'service_account' | 'api_key';
  readonly id: string;
  readonly name: string;
  readonly last_used_at: string | null;
  readonly grants: readonly ReviewGrant[];
  readonly flags: readonly ReviewFlag[];
}

export interface AccessReview {
  readonly organization_id: string;
  readonly generated_at: string;
  readonly stale_after_days: number;
  readonly principals: readonly ReviewPrincipal[];
}

/**
 * Other modules' principals for the review (API keys …), read in the same transaction. Each returns
 * complete entries; the review only sorts and merges them.
 */
export type ReviewContributor = (tx: Tx, tenantId: string, now: Date, state: AccessState) => Promise<ReviewPrincipal[]>;

/** The organization's access state as the review read it (bindings with valid MACs only, issue 13). */
export type AccessState = NonNullable<Awaited<ReturnType<typeof loadAccessState>>>;

const DAY = 86_400_000;
const iso = (date: Date | null | undefined) => date?.toISOString() ?? null;

/** Flags for a credential's age (keys and client secrets). */
export function credentialAgeFlags(createdAt: Date, now: Date): ReviewFlag[] {
  const days = (now.getTime() - createdAt.getTime()) / DAY;
  if (days >= CREDENTIAL_ROTATION_DAYS) return ['credential_older_than_90_days'];
  if (days >= CREDENTIAL_NEARING_DAYS) return ['credential_nearing_90_days'];
  return [];
}

/**
 * The access review of one organization (AC-5): every principal, what it may do at which scope and
 * why (each binding with its role's permissions, conditions, expiry and JIT grant), when it was last
 * used, and flags for what a reviewer should look at. Expired bindings are left out: they grant nothing.
 */
export async function buildAccessReview(tx: Tx, integrity: BindingIntegrity, tenantId: string, now: Date, contributors: readonly ReviewContributor[]): Promise<AccessReview | undefined> {
  const state = await loadAccessState(tx, integrity, tenantId);
  if (state === undefined) return undefined;
  const source = snapshotSource(tenantId, state, now);
  const rows = new Map(state.bindings.map((row) => [row.id, row]));
  const members = new Set(source.members);
  const users = new Set([...members, ...state.bindings.filter((b) => b.principal_type === 'user').map((b) => b.principal_id)]);
  const userRows = await identityReads.accountsOf(tx, [...users]);
  const seen = await identityReads.lastSeenOf(tx, [...users]);
  const accounts = await tx.selectFrom('service_accounts').select(['id', 'name', 'disabled_at']).where('tenant_id', '=', tenantId).execute();

  const grantsOf = new Map<string, ReviewGrant[]>();
  for (const binding of source.bindings) {
    const row = rows.get(binding.id);
    if (row === undefined) continue;
    if (row.expires_at !== null && row.expires_at.getTime() <= now.getTime()) continue;
    const flags: ReviewFlag[] = [];
    const lastUsed = row.last_used_at;
    const unusedSince = lastUsed ?? row.created_at;
    if (now.getTime() - unusedSince.getTime() >= STALE_AFTER_DAYS * DAY) flags.push('stale_grant');
    if (lastUsed === null) flags.push('never_used');
    if (row.expires_at !== null && row.expires_at.getTime() - now.getTime() < 7 * DAY) flags.push('expires_soon');
    if (row.conditions !== null) flags.push('conditional');
    if (row.grant_id !== null) flags.push('just_in_time');
    const list = grantsOf.get(binding.principal_id) ?? [];
    list.push({
      source: 'binding',
      id: binding.id,
      role: binding.role,
      scope: { project_id: binding.project_id, environment_id: binding.environment_id },
      permissions: [...binding.permissions],
      conditions: binding.conditions,
      created_at: iso(row.created_at),
      expires_at: iso(row.expires_at),
      grant_id: binding.grant_id,
      last_used_at: iso(lastUsed),
      flags,
    });
    grantsOf.set(binding.principal_id, list);
  }

  const principals: ReviewPrincipal[] = [];
  for (const user of userRows) {
    const grants = grantsOf.get(user.id) ?? [];
    const flags: ReviewFlag[] = [];
    if (!members.has(user.id)) flags.push('not_a_member');
    if (grants.some((g) => g.flags.includes('stale_grant'))) flags.push('stale_grant');
    principals.push({ type: 'user', id: user.id, name: `${user.display_name} <${user.email}>`, last_used_at: iso(seen.get(user.id) ?? null), grants, flags });
  }
  for (const account of accounts) {
    const grants = grantsOf.get(account.id) ?? [];
    const lastUsed = grants.map((g) => g.last_used_at).filter((v) => v !== null).sort().at(-1) ?? null;
    principals.push({ type: 'service_account', id: account.id, name: account.disabled_at === null ? account.name : `${account.name} (disabled)`, last_used_at: lastUsed, grants, flags: grants.some((g) => g.flags.includes('stale_grant')) ? ['stale_grant'] : [] });
  }
  for (const contribute of contributors) principals.push(...(await contribute(tx, tenantId, now, state)));
  principals.sort((x, y) => x.type.localeCompare(y.type) || x.name.localeCompare(y.name) || x.id.localeCompare(y.id));
  return { organization_id: tenantId, generated_at: now.toISOString(), stale_after_days: STALE_AFTER_DAYS, principals };
}

const CSV_COLUMNS = ['principal_type', 'principal_id', 'principal_name', 'principal_last_used_at', 'principal_flags', 'source', 'grant_id', 'role', 'project_id', 'environment_id', 'permissions', 'conditions', 'created_at', 'expires_at', 'jit_grant_id', 'last_used_at', 'flags'] as const;

/** One row per (principal, grant); principals without grants get one row with empty grant columns. */
export function accessReviewCsv(review: AccessReview): string {
  const lines = [csvLine(CSV_COLUMNS)];
  for (const p of review.principals) {
    const head = [p.type, p.id, p.name, p.last_used_at ?? '', p.flags.join(' ')];
    const grants = p.grants.length === 0 ? [undefined] : p.grants;
    for (const g of grants) {
      const tail =
        g === undefined
          ? ['', '', '', '', '', '', '', '', '', '', '', '']
          : [g.source, g.id, g.role ?? '', g.scope.project_id ?? '', g.scope.environment_id ?? '', g.permissions.join(' '), g.conditions === null ? '' : JSON.stringify(g.conditions), g.created_at ?? '', g.expires_at ?? '', g.grant_id ?? '', g.last_used_at ?? '', g.flags.join(' ')];
      lines.push(csvLine([...head, ...tail]));
    }
  }
  return lines.join('');
}

/** Builds the review and records that it was run (`access.reviewed`) in the same transaction: the audit trail shows reviews happened. */
export async function reviewAndRecord(
  tx: Tx,
  deps: { audit: AuditRecorder; contributors: readonly ReviewContributor[]; integrity: BindingIntegrity },
  run: { tenantId: string; now: Date; actor: AuditActor; source?: AuditSource | undefined; format: 'json' | 'csv' },
): Promise<AccessReview | undefined> {
  const review = await buildAccessReview(tx, deps.integrity, run.tenantId, run.now, deps.contributors);
  if (review === undefined) return undefined;
  await deps.audit.record(tx, run.tenantId, {
    action: 'access.reviewed',
    actor: run.actor,
    outcome: 'success',
    ...(run.source === undefined ? {} : { source: run.source }),
    targets: [{ type: 'organization', id: run.tenantId }],
    metadata: { format: run.format, principals: review.principals.length },
  });
  return review;
}
