import { sql } from 'kysely';
import type { AppTransactor } from '../../database.ts';
import { int, isoOrNull, list, maybe, obj, str, time, uuid } from '../../platform/json-schema.ts';
import { PLATFORM_TENANT_ID } from '../audit/index.ts';
import { findUserById } from '../identity/index.ts';
import type { PersonalDataContributor, PersonalDataSection, TableRetention } from '../lifecycle/index.ts';

/**
 * Documents under NDA (TR-2) and personal data: requesters are visitors without an account, known
 * by the address they gave. Their requests are exported by address — in an account's DATA-2
 * export when the account's address made them, and to a platform administrator answering a
 * data-subject request (`POST /api/v1/platform/trust/nda-requests/personal-data`) — and removed by
 * the DATA-1 retention purge. Never the link tokens (only their hashes are stored anyway).
 */
export const NDA_REQUESTS_SECTION: PersonalDataSection = {
  section: 'trust_nda_requests',
  schema: list(
    obj({
      id: uuid,
      document: str,
      email: str,
      name: str,
      company: str,
      nda_version: int,
      nda_sha256: str,
      accepted_at: time,
      accepted_ip: maybe(str),
      status: str,
      verified_at: maybe(time),
      approved_at: maybe(time),
      revoked_at: maybe(time),
      created_at: time,
      links_mailed: int,
      downloads: int,
    }),
  ),
  tables: ['trust_nda_requests'],
};

export interface NdaRequestExport {
  readonly id: string;
  readonly document: string;
  readonly email: string;
  readonly name: string;
  readonly company: string;
  readonly nda_version: number;
  readonly nda_sha256: string;
  readonly accepted_at: string;
  readonly accepted_ip: string | null;
  readonly status: string;
  readonly verified_at: string | null;
  readonly approved_at: string | null;
  readonly revoked_at: string | null;
  readonly created_at: string;
  readonly links_mailed: number;
  readonly downloads: number;
}

/** Every NDA request made with `email` (compared lower-cased, as stored), oldest first. */
export async function ndaRequestsOf(transactor: AppTransactor, email: string): Promise<NdaRequestExport[]> {
  const address = email.trim().toLowerCase();
  const rows = await transactor.withTenant(PLATFORM_TENANT_ID, (tx) =>
    tx
      .selectFrom('trust_nda_requests as r')
      .innerJoin('trust_nda_documents as d', 'd.id', 'r.document_id')
      .innerJoin('trust_entries as e', 'e.id', 'd.entry_id')
      .select([
        'r.id',
        'r.email',
        'r.name',
        'r.company',
        'r.nda_version',
        'r.nda_sha256',
        'r.accepted_at',
        'r.accepted_ip',
        'r.status',
        'r.verified_at',
        'r.approved_at',
        'r.revoked_at',
        'r.created_at',
        sql<string>`e.data->>'title'`.as('document'),
        (eb) => eb.selectFrom('trust_nda_tokens as t').select((e) => e.fn.countAll<string | number>().as('n')).whereRef('t.request_id', '=', 'r.id').as('links_mailed'),
        (eb) => eb.selectFrom('trust_nda_tokens as t').select((e) => e.fn.countAll<string | number>().as('n')).whereRef('t.request_id', '=', 'r.id').where('t.purpose', '=', 'download').where('t.used_at', 'is not', null).as('downloads'),
      ])
      .where('r.email', '=', address)
      .orderBy('r.created_at')
      .orderBy('r.id')
      .execute(),
  );
  return rows.map((r) => ({
    id: r.id,
    document: r.document,
    email: r.email,
    name: r.name,
    company: r.company,
    nda_version: r.nda_version,
    nda_sha256: r.nda_sha256,
    accepted_at: r.accepted_at.toISOString(),
    accepted_ip: r.accepted_ip,
    status: r.status,
    verified_at: isoOrNull(r.verified_at),
    approved_at: isoOrNull(r.approved_at),
    revoked_at: isoOrNull(r.revoked_at),
    created_at: r.created_at.toISOString(),
    links_mailed: Number(r.links_mailed ?? 0),
    downloads: Number(r.downloads ?? 0),
  }));
}

/**
 * The account's section: NDA requests made with the account's address. Not erased with the
 * account: the request is the operator's record of the NDA that address accepted; the retention
 * purge removes it (below).
 */
export function ndaPersonalData(deps: { transactor: AppTransactor }): PersonalDataContributor {
  return {
    ...NDA_REQUESTS_SECTION,
    collect: async (userId) => {
      const user = await deps.transactor.withPlatform((tx) => findUserById(tx, userId));
      return user === undefined ? [] : ndaRequestsOf(deps.transactor, user.email);
    },
  };
}

/**
 * DATA-1: NDA requests (with their links, which cascade) once closed — unverified, approved,
 * rejected or revoked — counted from their last change; a verified request awaiting a decision is
 * kept. Default a year: the record of an accepted NDA outlives the 48-hour download link.
 */
export const TRUST_RETENTION: readonly TableRetention[] = Object.freeze([
  {
    type: 'trust_nda_requests',
    description: 'Requests for documents under NDA (address, name, company, accepted NDA version and hash, IP) and their links, counted from the last change; requests awaiting a decision are kept.',
    table: 'trust_nda_requests',
    scope: 'platform',
    endedAt: sql<Date | null>`case when status = 'pending' then null else updated_at end`,
    defaultDays: 365,
    minDays: 30,
    maxDays: 3660,
  },
] satisfies TableRetention[]);
