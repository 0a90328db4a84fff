import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { digestToken, newSecretToken, uuidv7, type Random } from '../../platform/crypto/random.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { AuditActor, AuditSource } from '../../platform/http/principal.ts';
import type { Mailer, PreparedMail } from '../../platform/mail/index.ts';
import { PLATFORM_TENANT_ID, type AuditRecorder } from '../audit/index.ts';
import type { FieldContext, FieldEncryption } from '../keys/index.ts';
import type { NdaApprovedBy, TrustNdaRequestsTable } from './nda-tables.ts';
import { ndaRequestsOf, type NdaRequestExport } from './nda-personal-data.ts';
import { loadPdf, watermarkLine, watermarkPdf } from './nda-watermark.ts';

/** How long a verification link works. */
export const NDA_VERIFY_TTL_MS = 24 * 3_600_000;
/** How long a download link works (once). */
export const NDA_DOWNLOAD_TTL_MS = 48 * 3_600_000;
/** Requests one address may make in an hour. */
export const NDA_REQUESTS_PER_EMAIL_PER_HOUR = 5;
/** Serializes NDA publication, so two versions never get the same number. */
export const NDA_PUBLISH_LOCK_KEY = 7450104081;

const ANONYMOUS: AuditActor = { type: 'anonymous', id: null, display_name: null };
const SYSTEM: AuditActor = { type: 'system', id: null, display_name: 'trust center rule' };
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export type NdaRequestRow = Omit<TrustNdaRequestsTable, 'tenant_id'> & { tenant_id: string };
export interface NdaVersion {
  readonly version: number;
  readonly body: string;
  readonly sha256: string;
}
/** What the public request page shows about a document under NDA. */
export interface NdaDocumentInfo {
  readonly entryId: string;
  readonly title: string;
  readonly description: string | undefined;
}

export const documentContext = (documentId: string): FieldContext => ({ tenantId: PLATFORM_TENANT_ID, table: 'trust_nda_documents', column: 'content_sealed', rowId: documentId });
const sha256Hex = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/**
 * Documents under NDA (TR-2): a visitor requests a document and accepts the click-through NDA
 * (version and hash recorded), proves the address with a mailed link, is approved by rule or by a
 * platform administrator, and downloads once through a mailed, expiring link a copy watermarked
 * with their address and the time. Every step is audited; access can be revoked.
 */
export function createNdaService(deps: {
  transactor: AppTransactor;
  clock: Clock;
  random: Random;
  audit: Pick<AuditRecorder, 'record'>;
  fields: Pick<FieldEncryption, 'encryptField' | 'decryptField'>;
  mail: Pick<Mailer, 'prepare' | 'send'>;
  /** The organization that verified this email domain for SSO, if any (module sso). */
  organizationOfVerifiedDomain: (domain: string) => Promise<string | undefined>;
}) {
  const { transactor, clock, random, audit, fields, mail } = deps;
  const inPlatform = <T>(fn: (tx: Tx) => Promise<T>) => transactor.withTenant(PLATFORM_TENANT_ID, fn);

  async function issueToken(tx: Tx, purpose: 'verify' | 'download', email: string, requestId: string, ttlMs: number): Promise<{ token: string; expiresAt: Date }> {
    const token = newSecretToken(random);
    const now = clock.now();
    const expiresAt = new Date(now.getTime() + ttlMs);
    await tx.insertInto('trust_nda_tokens').values({ id: uuidv7(clock, random), purpose, token_hash: digestToken(token), request_id: requestId, email, created_at: now, expires_at: expiresAt, used_at: null }).execute();
    return { token, expiresAt };
  }

  async function currentVersion(tx: Tx): Promise<NdaVersion | undefined> {
    return tx.selectFrom('trust_nda_versions').select(['version', 'body', 'sha256']).orderBy('version', 'desc').limit(1).executeTakeFirst();
  }

  /** A trust entry of kind `document` with access `nda`, and its uploaded file's id when there is one. */
  async function ndaEntry(tx: Tx, entryId: string): Promise<{ info: NdaDocumentInfo; documentId: string | undefined } | undefined> {
    const row = await tx
      .selectFrom('trust_entries as e')
      .leftJoin('trust_nda_documents as d', 'd.entry_id', 'e.id')
      .select(['e.id', 'e.data', 'd.id as document_id'])
      .where('e.id', '=', entryId)
      .where('e.kind', '=', 'document')
      .where(sql<string>`e.data->>'access'`, '=', 'nda')
      .executeTakeFirst();
    if (row === undefined) return undefined;
    const data = row.data as { title: string; description?: string };
    return { info: { entryId: row.id, title: data.title, description: data.description }, documentId: row.document_id ?? undefined };
  }

  async function titleOf(tx: Tx, documentId: string): Promise<string> {
    const row = await tx.selectFrom('trust_nda_documents as d').innerJoin('trust_entries as e', 'e.id', 'd.entry_id').select('e.data').where('d.id', '=', documentId).executeTakeFirst();
    return (row?.data as { title?: string } | undefined)?.title ?? 'document';
  }

  /** Moves a verified (`pending`) request to approved and prepares its download mail; undefined when it is not pending. */
  async function approveIn(tx: Tx, requestId: string, by: NdaApprovedBy, actor: AuditActor, source: AuditSource): Promise<PreparedMail | undefined> {
    const now = clock.now();
    const row = await tx.updateTable('trust_nda_requests').set({ status: 'approved', approved_by: by, approved_at: now, updated_at: now }).where('id', '=', requestId).where('status', '=', 'pending').returning(['email', 'document_id']).executeTakeFirst();
    if (row === undefined) return undefined;
    const link = await issueToken(tx, 'download', row.email, requestId, NDA_DOWNLOAD_TTL_MS);
    await audit.record(tx, PLATFORM_TENANT_ID, { action: 'trust.nda_approved', actor, outcome: 'success', source, targets: [{ type: 'trust_nda_request', id: requestId }], metadata: { approved_by: by } });
    return mail.prepare(row.email, { kind: 'trust_nda_download', document: await titleOf(tx, row.document_id), ...link });
  }

  /** The approval rule: the address's domain is an organization's verified SSO domain, or an allowed one. */
  async function ruleFor(email: string): Promise<NdaApprovedBy | undefined> {
    const domain = email.slice(email.lastIndexOf('@') + 1);
    const allowed = await inPlatform((tx) => tx.selectFrom('trust_nda_allowed_domains').select('domain').where('domain', '=', domain).executeTakeFirst());
    if (allowed !== undefined) return 'allowed_domain';
    return (await deps.organizationOfVerifiedDomain(domain)) === undefined ? undefined : 'sso_domain';
  }

  /**
   * A refused download, in the platform audit log: why (the link was malformed, unknown, for
   * another address, used, expired, or its request is no longer approved) and, when the link is
   * known, its request. Never the token or the address given; the visitor gets the same 400 for
   * every reason.
   */
  async function recordFailedDownload(email: string, token: string, source: AuditSource): Promise<void> {
    await inPlatform(async (tx) => {
      let reason: 'malformed' | 'unknown' | 'other_address' | 'used' | 'expired' | 'not_approved' = 'malformed';
      let requestId: string | undefined;
      if (TOKEN_SHAPE.test(token)) {
        const link = await tx
          .selectFrom('trust_nda_tokens as t')
          .innerJoin('trust_nda_requests as r', 'r.id', 't.request_id')
          .select(['t.request_id', 't.email', 't.used_at', 't.expires_at', 'r.status'])
          .where('t.token_hash', '=', digestToken(token))
          .where('t.purpose', '=', 'download')
          .executeTakeFirst();
        if (link === undefined) reason = 'unknown';
        else {
          requestId = link.request_id;
          if (link.email !== email) reason = 'other_address';
          else if (link.used_at !== null) reason = 'used';
          else if (link.expires_at.getTime() <= clock.now().getTime()) reason = 'expired';
          else reason = 'not_approved';
        }
      }
      await audit.record(tx, PLATFORM_TENANT_ID, { action: 'trust.nda_download_failed', actor: ANONYMOUS, outcome: 'failure', source, targets: requestId === undefined ? [] : [{ type: 'trust_nda_request', id: requestId }], metadata: { reason } });
    });
  }

  return {
    /** The NDA visitors accept now; undefined before the first version is published. */
    currentNda: (): Promise<NdaVersion | undefined> => inPlatform(currentVersion),

    /** Publishes a new NDA version: the next number, the SHA-256 of the exact text. */
    async publishNda(body: string, actor: AuditActor, source: AuditSource): Promise<NdaVersion> {
      return inPlatform(async (tx) => {
        await sql`select pg_advisory_xact_lock(${NDA_PUBLISH_LOCK_KEY})`.execute(tx);
        const version = ((await currentVersion(tx))?.version ?? 0) + 1;
        const published = { version, body, sha256: sha256Hex(body) };
        await tx.insertInto('trust_nda_versions').values({ ...published, created_at: clock.now() }).execute();
        await audit.record(tx, PLATFORM_TENANT_ID, { action: 'trust.nda_published', actor, outcome: 'success', source, targets: [{ type: 'trust_nda_version', id: String(version) }], metadata: { version, sha256: published.sha256 } });
        return published;
      });
    },

    /** A published `nda` document and the NDA to accept, for the request page; undefined when there is none. */
    async requestable(entryId: string): Promise<{ document: NdaDocumentInfo; nda: NdaVersion | undefined } | undefined> {
      return inPlatform(async (tx) => {
        const entry = await ndaEntry(tx, entryId);
        if (entry?.documentId === undefined) return undefined;
        return { document: entry.info, nda: await currentVersion(tx) };
      });
    },

    /** Stores (or replaces) the PDF of a document under NDA, encrypted under the platform tenant's key. */
    async upload(entryId: string, bytes: Uint8Array, actor: AuditActor, source: AuditSource): Promise<{ id: string; sha256: string }> {
      // A PDF this library reads, with pages (it refuses encrypted ones, which could not be watermarked).
      const readable = async () => {
        try {
          return Buffer.from(bytes.subarray(0, 5)).toString('latin1') === '%PDF-' && (await loadPdf(bytes)).getPageCount() > 0;
        } catch {
          return false;
        }
      };
      if (!(await readable())) throw new AppError('invalid_pdf');
      const existing = await inPlatform((tx) => ndaEntry(tx, entryId));
      if (existing === undefined) throw new AppError('not_found', { detail: 'No document entry with access "nda" has this id.' });
      const id = existing.documentId ?? uuidv7(clock, random);
      const sealed = await fields.encryptField(documentContext(id), Buffer.from(bytes).toString('base64'));
      const sha256 = sha256Hex(bytes);
      await inPlatform(async (tx) => {
        const now = clock.now();
        const row = await tx
          .insertInto('trust_nda_documents')
          .values({ id, entry_id: entryId, content_sealed: sealed, sha256, size_bytes: bytes.byteLength, uploaded_at: now })
          .onConflict((oc) => oc.column('entry_id').doUpdateSet({ content_sealed: sealed, sha256, size_bytes: bytes.byteLength, uploaded_at: now }).where('trust_nda_documents.id', '=', id))
          .returning('id')
          .executeTakeFirst();
        // Another upload for the entry created its row meanwhile: this ciphertext is bound to another id.
        if (row === undefined) throw new AppError('conflict', { detail: 'The document was uploaded at the same time; retry.' });
        await audit.record(tx, PLATFORM_TENANT_ID, { action: 'trust.nda_document_uploaded', actor, outcome: 'success', source, targets: [{ type: 'trust_entry', id: entryId }], metadata: { sha256, size_bytes: bytes.byteLength } });
      });
      return { id, sha256 };
    },

    /**
     * A visitor asks for a document and accepts NDA `ndaVersion` (which must be the current one, so
     * the recorded hash is of the text they were shown). Stored unverified; a link is mailed. The
     * answer never depends on who else asked or whether the address has an account.
     */
    async request(input: { entryId: string; email: string; name: string; company: string; ndaVersion: number; source: AuditSource }): Promise<void> {
      const email = input.email.toLowerCase();
      const prepared = await inPlatform(async (tx) => {
        const entry = await ndaEntry(tx, input.entryId);
        if (entry?.documentId === undefined) throw new AppError('not_found');
        const nda = await currentVersion(tx);
        if (nda === undefined) throw new AppError('nda_unavailable');
        if (nda.version !== input.ndaVersion) throw new AppError('nda_version_outdated');
        const now = clock.now();
        const recent = await tx.selectFrom('trust_nda_requests').select((eb) => eb.fn.countAll<string | number | bigint>().as('n')).where('email', '=', email).where('created_at', '>', new Date(now.getTime() - 3_600_000)).executeTakeFirstOrThrow();
        if (Number(recent.n) >= NDA_REQUESTS_PER_EMAIL_PER_HOUR) throw new AppError('rate_limited', { detail: 'Too many requests for this address; try again in an hour.', headers: { 'retry-after': '3600' } });
        const id = uuidv7(clock, random);
        await tx
          .insertInto('trust_nda_requests')
          .values({ id, document_id: entry.documentId, email, name: input.name, company: input.company, nda_version: nda.version, nda_sha256: nda.sha256, accepted_at: now, accepted_ip: input.source.ip ?? null, status: 'unverified', verified_at: null, approved_by: null, approved_at: null, revoked_at: null, created_at: now, updated_at: now })
          .execute();
        const link = await issueToken(tx, 'verify', email, id, NDA_VERIFY_TTL_MS);
        await audit.record(tx, PLATFORM_TENANT_ID, { action: 'trust.nda_requested', actor: ANONYMOUS, outcome: 'success', source: input.source, targets: [{ type: 'trust_nda_request', id }, { type: 'trust_entry', id: input.entryId }], metadata: { nda_version: nda.version, nda_sha256: nda.sha256 } });
        return mail.prepare(email, { kind: 'trust_nda_verify', document: entry.info.title, ...link });
      });
      // After commit: the request never waits for the network.
      mail.send(prepared);
    },

    /** Uses a verification link; a request whose address matches a rule is approved and its download link mailed. */
    async verify(token: string, source: AuditSource): Promise<void> {
      const verified = await inPlatform(async (tx) => {
        if (!TOKEN_SHAPE.test(token)) return undefined;
        const now = clock.now();
        const spent = await tx.updateTable('trust_nda_tokens').set({ used_at: now }).where('token_hash', '=', digestToken(token)).where('purpose', '=', 'verify').where('used_at', 'is', null).where('expires_at', '>', now).returning(['request_id', 'email']).executeTakeFirst();
        if (spent === undefined) return undefined;
        const row = await tx.updateTable('trust_nda_requests').set({ status: 'pending', verified_at: now, updated_at: now }).where('id', '=', spent.request_id).where('status', '=', 'unverified').returning('id').executeTakeFirst();
        if (row === undefined) return undefined;
        await audit.record(tx, PLATFORM_TENANT_ID, { action: 'trust.nda_email_verified', actor: ANONYMOUS, outcome: 'success', source, targets: [{ type: 'trust_nda_request', id: row.id }] });
        return spent;
      });
      if (verified === undefined) throw new AppError('trust_link_invalid');
      const rule = await ruleFor(verified.email);
      if (rule === undefined) return;
      const prepared = await inPlatform((tx) => approveIn(tx, verified.request_id, rule, SYSTEM, source));
      if (prepared !== undefined) mail.send(prepared);
    },

    /** A platform administrator approves a verified request (an unverified address is never approved). */
    async approve(requestId: string, actor: AuditActor, source: AuditSource): Promise<void> {
      const prepared = await inPlatform(async (tx) => {
        const found = await tx.selectFrom('trust_nda_requests').select('status').where('id', '=', requestId).executeTakeFirst();
        if (found === undefined) throw new AppError('not_found');
        const result = await approveIn(tx, requestId, 'administrator', actor, source);
        if (result === undefined) throw new AppError('nda_request_closed', { detail: 'Only a request whose address was verified, and not yet decided, can be approved.' });
        return result;
      });
      mail.send(prepared);
    },

    /** Rejects an undecided request, or revokes an approved one: its unused download links stop working. */
    async close(requestId: string, change: 'reject' | 'revoke', actor: AuditActor, source: AuditSource): Promise<void> {
      await inPlatform(async (tx) => {
        const now = clock.now();
        const from = change === 'reject' ? (['unverified', 'pending'] as const) : (['approved'] as const);
        const found = await tx.selectFrom('trust_nda_requests').select('status').where('id', '=', requestId).executeTakeFirst();
        if (found === undefined) throw new AppError('not_found');
        const row = await tx
          .updateTable('trust_nda_requests')
          .set(change === 'reject' ? { status: 'rejected', updated_at: now } : { status: 'revoked', revoked_at: now, updated_at: now })
          .where('id', '=', requestId)
          .where('status', 'in', from)
          .returning('id')
          .executeTakeFirst();
        if (row === undefined) throw new AppError('nda_request_closed', { detail: change === 'reject' ? 'Only an undecided request can be rejected.' : 'Only an approved request can be revoked.' });
        await audit.record(tx, PLATFORM_TENANT_ID, { action: change === 'reject' ? 'trust.nda_rejected' : 'trust.nda_access_revoked', actor, outcome: 'success', source, targets: [{ type: 'trust_nda_request', id: requestId }] });
      });
    },

    /**
     * Uses a download link: only with the address it was mailed to, once, before it expires, while
     * the request is approved. Returns the PDF watermarked with that address and the time.
     */
    async download(input: { email: string; token: string; source: AuditSource }): Promise<{ filename: string; pdf: Uint8Array }> {
      const email = input.email.toLowerCase();
      const released = await inPlatform(async (tx) => {
        if (!TOKEN_SHAPE.test(input.token)) return undefined;
        const now = clock.now();
        // One statement decides: the update wins once, and only for an approved, unrevoked request.
        const spent = await tx
          .updateTable('trust_nda_tokens')
          .set({ used_at: now })
          .where('token_hash', '=', digestToken(input.token))
          .where('purpose', '=', 'download')
          .where('email', '=', email)
          .where('used_at', 'is', null)
          .where('expires_at', '>', now)
          .where((eb) => eb.exists(eb.selectFrom('trust_nda_requests as r').select('r.id').whereRef('r.id', '=', 'trust_nda_tokens.request_id').where('r.status', '=', 'approved')))
          .returning('request_id')
          .executeTakeFirst();
        if (spent === undefined) return undefined;
        const row = await tx
          .selectFrom('trust_nda_requests as r')
          .innerJoin('trust_nda_documents as d', 'd.id', 'r.document_id')
          .innerJoin('trust_entries as e', 'e.id', 'd.entry_id')
          .select(['r.id', 'r.email', 'r.nda_version', 'd.id as document_id', 'd.content_sealed', 'e.data'])
          .where('r.id', '=', spent.request_id)
          .executeTakeFirstOrThrow();
        await audit.record(tx, PLATFORM_TENANT_ID, { action: 'trust.nda_downloaded', actor: ANONYMOUS, outcome: 'success', source: input.source, targets: [{ type: 'trust_nda_request', id: row.id }], metadata: { nda_version: row.nda_version } });
        return { ...row, at: now };
      });
      if (released === undefined) {
        await recordFailedDownload(email, input.token, input.source);
        throw new AppError('trust_link_invalid');
      }
      const original = Buffer.from(await fields.decryptField(documentContext(released.document_id), released.content_sealed), 'base64');
      const pdf = await watermarkPdf(original, watermarkLine(released.email, released.at, released.nda_version));
      const title = (released.data as { title?: string }).title ?? 'document';
      return { filename: `${title.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 80) || 'document'}.pdf`, pdf };
    },

    /** What the trust center holds about one requester's address (a data-subject request, DATA-2); the export is audited. */
    async personalData(email: string, actor: AuditActor, source: AuditSource): Promise<NdaRequestExport[]> {
      const requests = await ndaRequestsOf(transactor, email);
      await inPlatform((tx) => audit.record(tx, PLATFORM_TENANT_ID, { action: 'trust.nda_personal_data_exported', actor, outcome: 'success', source, targets: requests.map((r) => ({ type: 'trust_nda_request', id: r.id })).slice(0, 50), metadata: { requests: requests.length } }));
      return requests;
    },

    /** Every request, newest first (platform administrators). */
    list: (): Promise<NdaRequestRow[]> => inPlatform((tx) => tx.selectFrom('trust_nda_requests').selectAll().orderBy('created_at', 'desc').limit(500).execute()),

    allowedDomains: async (): Promise<string[]> => (await inPlatform((tx) => tx.selectFrom('trust_nda_allowed_domains').select('domain').orderBy('domain').execute())).map((r) => r.domain),

    /** Replaces the allowed domains. */
    async setAllowedDomains(domains: readonly string[], actor: AuditActor, source: AuditSource): Promise<void> {
      const unique = [...new Set(domains.map((d) => d.toLowerCase()))];
      await inPlatform(async (tx) => {
        const now = clock.now();
        await tx.deleteFrom('trust_nda_allowed_domains').execute();
        if (unique.length > 0) await tx.insertInto('trust_nda_allowed_domains').values(unique.map((domain) => ({ domain, added_at: now }))).execute();
        await audit.record(tx, PLATFORM_TENANT_ID, { action: 'trust.nda_allowed_domains_changed', actor, outcome: 'success', source, metadata: { domains: unique.length } });
      });
    },
  };
}

export type NdaService = ReturnType<typeof createNdaService>;
