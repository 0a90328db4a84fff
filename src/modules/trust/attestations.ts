import { Type, type Static } from '@sinclair/typebox';
import { sql } from 'kysely';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ColumnType } from 'kysely';
import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { uuidv7, type Random } from '../../platform/crypto/random.ts';
import { AppError } from '../../platform/http/errors.ts';
import { html, htmlDocument, type SafeHtml } from '../../platform/http/html.ts';
import { auditContext, requireUser } from '../../platform/http/request-context.ts';
import { errorResponses, NoContent, Nullable, Strict, Uuid } from '../../platform/http/schemas.ts';
import { createHash } from 'node:crypto';
import type { SecurityAlerts } from '../alerts/index.ts';
import { PLATFORM_TENANT_ID, SYSTEM_ACTOR, type AuditRecorder } from '../audit/index.ts';
import type { FieldContext, FieldEncryption } from '../keys/index.ts';
import { navigation, type Branding } from './trust-pages.ts';

const Text = (max: number) => Type.String({ minLength: 1, maxLength: max, pattern: '^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$' });
const Day = Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$', description: 'YYYY-MM-DD' });
/** https only, or a path on this server (never `javascript:` or `//host`). */
const Link = Type.String({ maxLength: 2000, pattern: '^(https://[^\\s"<>]+|/(?!/)[^\\s"<>]*)$' });

/** An organizational control stated by a person: owner, date, evidence, review interval. */
export const AttestationBody = Strict({
  title: Text(200),
  description: Type.Optional(Text(2000)),
  owner: Text(200),
  attested_on: Day,
  review_interval_days: Type.Integer({ minimum: 1, maximum: 3660 }),
  evidence_url: Type.Optional(Link),
  claims: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Z]{2,5}-[0-9]{1,2}$' }), { maxItems: 20, uniqueItems: true })),
  position: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
});
export type AttestationBody = Static<typeof AttestationBody>;

export interface Attestation {
  readonly id: string;
  readonly title: string;
  readonly description: string | null;
  readonly owner: string;
  readonly attested_on: string;
  readonly review_interval_days: number;
  readonly evidence_url: string | null;
  readonly claims: readonly string[];
  readonly position: number;
  /** The uploaded evidence file, when there is one (its bytes are served by `/trust/attestations/{id}/evidence`). */
  readonly evidence_file: EvidenceFileInfo | null;
}

export interface EvidenceFileInfo {
  readonly content_type: EvidenceType;
  readonly size_bytes: number;
  readonly sha256: string;
}

/** Evidence files: the types accepted (recognised by their first bytes, not by the header alone) and the size limit. */
export const EVIDENCE_TYPES = { 'application/pdf': 'pdf', 'image/png': 'png', 'image/jpeg': 'jpg' } as const;
export type EvidenceType = keyof typeof EVIDENCE_TYPES;
export const MAX_EVIDENCE_BYTES = 10 * 1024 * 1024;
const MAGIC: Record<EvidenceType, Buffer> = { 'application/pdf': Buffer.from('%PDF-', 'latin1'), 'image/png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), 'image/jpeg': Buffer.from([0xff, 0xd8, 0xff]) };

/** True when `bytes` start as a file of `type` does. */
export function looksLike(type: EvidenceType, bytes: Uint8Array): boolean {
  const magic = MAGIC[type];
  return bytes.byteLength > magic.length && Buffer.from(bytes.subarray(0, magic.length)).equals(magic);
}

export const evidenceContext = (fileId: string): FieldContext => ({ tenantId: PLATFORM_TENANT_ID, table: 'trust_attestation_files', column: 'content_sealed', rowId: fileId });

const DAY_MS = 86_400_000;

/** The day by which the attestation must be renewed (`attested_on` + interval). */
export function reviewDue(a: Pick<Attestation, 'attested_on' | 'review_interval_days'>): string {
  return new Date(Date.parse(`${a.attested_on}T00:00:00Z`) + a.review_interval_days * DAY_MS).toISOString().slice(0, 10);
}

/** Lapsed once its review day has passed (UTC): computed at each render, so nobody has to mark it. */
export function isLapsed(a: Pick<Attestation, 'attested_on' | 'review_interval_days'>, now: Date): boolean {
  return now.toISOString().slice(0, 10) > reviewDue(a);
}

/** Every attestation in page order, with its evidence file's type and size. */
export async function listAttestations(tx: Tx): Promise<(Attestation & { lapse_alerted_for: string | null })[]> {
  // The day as text: a driver turning `date` into a local-time Date could shift it across midnight.
  const rows = await tx
    .selectFrom('trust_attestations as a')
    .leftJoin('trust_attestation_files as f', 'f.attestation_id', 'a.id')
    .select(['a.id', 'a.title', 'a.description', 'a.owner', sql<string>`a.attested_on::text`.as('attested_on'), 'a.review_interval_days', 'a.evidence_url', 'a.claims', 'a.position', sql<string | null>`a.lapse_alerted_for::text`.as('lapse_alerted_for'), 'f.content_type', 'f.size_bytes', 'f.sha256'])
    .orderBy('a.position')
    .orderBy('a.created_at')
    .orderBy('a.id')
    .execute();
  return rows.map(({ content_type, size_bytes, sha256, ...a }) => ({ ...a, evidence_file: content_type === null || size_bytes === null || sha256 === null ? null : { content_type, size_bytes, sha256 } }));
}

const sizeText = (bytes: number) => (bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB` : `${Math.max(1, Math.round(bytes / 1024))} KiB`);

/** The evidence cell: the uploaded file (a download), else the link, else a dash. */
export function evidenceLink(a: Pick<Attestation, 'id' | 'evidence_url' | 'evidence_file'>): SafeHtml | string {
  if (a.evidence_file !== null) return html`<a href="/trust/attestations/${a.id}/evidence" download>Evidence file (${EVIDENCE_TYPES[a.evidence_file.content_type].toUpperCase()}, ${sizeText(a.evidence_file.size_bytes)})</a>`;
  return a.evidence_url === null ? '—' : html`<a href="${a.evidence_url}">Evidence</a>`;
}

/** The public page: each attestation with its owner, date, evidence and state in words. */
export function renderAttestationsPage(branding: Branding, attestations: readonly Attestation[], now: Date): string {
  const rows = attestations.map((a) => {
    const lapsed = isLapsed(a, now);
    return html`<tr id="attestation-${a.id}"><th scope="row">${a.title}${a.description === null ? '' : html`<br><span class="meta">${a.description}</span>`}</th><td>${a.owner}</td><td><time datetime="${a.attested_on}">${a.attested_on}</time></td><td>every ${a.review_interval_days} days, due <time datetime="${reviewDue(a)}">${reviewDue(a)}</time></td><td>${evidenceLink(a)}</td><td><span class="state state-${lapsed ? 'failing' : 'passing'}">${lapsed ? 'Lapsed' : 'Current'}</span></td></tr>`;
  });
  return htmlDocument({
    title: `Attestations — ${branding.name} Trust Center`,
    stylesheets: ['/trust/trust.css'],
    body: html`<a class="skip" href="#main">Skip to content</a>
${navigation(branding, 'attestations')}
<main id="main"><h1>Attestations</h1>
<p>Organizational controls that no automated check can see, stated by a named owner with a date and evidence. An attestation not renewed within its review interval shows as lapsed.</p>
${attestations.length === 0 ? html`<p>No attestations are published yet.</p>` : html`<table><thead><tr><th scope="col">Control</th><th scope="col">Owner</th><th scope="col">Attested</th><th scope="col">Review</th><th scope="col">Evidence</th><th scope="col">State</th></tr></thead><tbody>${rows}</tbody></table>`}
</main>`,
  });
}

const EvidenceFileView = Strict({ content_type: Type.String(), size_bytes: Type.Integer(), sha256: Type.String() });
const View = Strict({ id: Uuid, title: Type.String(), description: Nullable(Type.String()), owner: Type.String(), attested_on: Type.String(), review_interval_days: Type.Integer(), evidence_url: Nullable(Type.String()), evidence_file: Nullable(EvidenceFileView), claims: Type.Array(Type.String()), position: Type.Integer(), review_due: Type.String(), lapsed: Type.Boolean() });
const Params = Strict({ attestationId: Uuid });

/** `/trust/attestations` and the platform administrators' API to keep attestations. */
export async function registerAttestationRoutes(
  server: FastifyInstance,
  deps: { transactor: AppTransactor; clock: Clock; random: Random; audit: Pick<AuditRecorder, 'record'>; branding: Branding; fields: Pick<FieldEncryption, 'encryptField' | 'decryptField'>; changed: () => void },
): Promise<void> {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { transactor, clock, random, audit } = deps;
  const inPlatform = <T>(fn: (tx: Tx) => Promise<T>) => transactor.withTenant(PLATFORM_TENANT_ID, fn);
  const tags = ['trust'];
  const requirePlatformAdmin = (request: FastifyRequest) => {
    if (!requireUser(request).isPlatformAdmin) throw new AppError('forbidden', { detail: 'Only a platform administrator can do this.' });
  };
  const record = async (request: FastifyRequest, tx: Tx, id: string, change: 'created' | 'updated' | 'deleted') => {
    const ctx = auditContext(request);
    await audit.record(tx, PLATFORM_TENANT_ID, { action: 'trust.attestation_changed', actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [{ type: 'trust_attestation', id }], metadata: { change } });
    // The controls page lists attestations by claim: it is rebuilt.
    deps.changed();
  };
  const values = (b: AttestationBody) => ({ title: b.title, description: b.description ?? null, owner: b.owner, attested_on: b.attested_on, review_interval_days: b.review_interval_days, evidence_url: b.evidence_url ?? null, claims: b.claims ?? [], position: b.position ?? 0 });
  const checkDay = (day: string) => {
    if (Number.isNaN(Date.parse(`${day}T00:00:00Z`)) || new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) !== day) throw new AppError('invalid_request', { detail: 'attested_on is not a calendar day.' });
  };

  app.get('/trust/attestations', { config: { auth: 'public' }, schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'public, max-age=60').send(renderAttestationsPage(deps.branding, await inPlatform(listAttestations), clock.now())),
  );

  app.get('/api/v1/platform/trust/attestations', {
    config: { permission: 'self' },
    schema: { tags, summary: 'Attestations with their review state (platform administrators)', response: { 200: Strict({ items: Type.Array(View) }), ...errorResponses(401, 403) } },
    handler: async (request) => {
      requirePlatformAdmin(request);
      const now = clock.now();
      return {
        items: (await inPlatform(listAttestations)).map((a) => ({
          id: a.id,
          title: a.title,
          description: a.description,
          owner: a.owner,
          attested_on: a.attested_on,
          review_interval_days: a.review_interval_days,
          evidence_url: a.evidence_url,
          evidence_file: a.evidence_file,
          claims: [...a.claims],
          position: a.position,
          review_due: reviewDue(a),
          lapsed: isLapsed(a, now),
        })),
      };
    },
  });

  app.post('/api/v1/platform/trust/attestations', {
    config: { permission: 'self' },
    schema: { tags, summary: 'Publish an attestation: owner, date, evidence link, review interval (platform administrators)', body: AttestationBody, response: { 201: Strict({ id: Uuid }), ...errorResponses(400, 401, 403) } },
    handler: async (request, reply) => {
      requirePlatformAdmin(request);
      checkDay(request.body.attested_on);
      const id = uuidv7(clock, random);
      await inPlatform(async (tx) => {
        const now = clock.now();
        await tx.insertInto('trust_attestations').values({ id, ...values(request.body), created_at: now, updated_at: now }).execute();
        await record(request, tx, id, 'created');
      });
      return reply.status(201).send({ id });
    },
  });

  app.put('/api/v1/platform/trust/attestations/:attestationId', {
    config: { permission: 'self' },
    schema: { tags, summary: 'Replace an attestation, e.g. renew it with a new date and evidence (platform administrators)', params: Params, body: AttestationBody, response: { 200: Strict({ id: Uuid }), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      requirePlatformAdmin(request);
      checkDay(request.body.attested_on);
      const id = request.params.attestationId.toLowerCase();
      await inPlatform(async (tx) => {
        const row = await tx.updateTable('trust_attestations').set({ ...values(request.body), updated_at: clock.now() }).where('id', '=', id).returning('id').executeTakeFirst();
        if (row === undefined) throw new AppError('not_found');
        await record(request, tx, id, 'updated');
      });
      return { id };
    },
  });

  app.delete('/api/v1/platform/trust/attestations/:attestationId', {
    config: { permission: 'self' },
    schema: { tags, summary: 'Remove an attestation (platform administrators)', params: Params, response: { 204: NoContent, ...errorResponses(401, 403, 404) } },
    handler: async (request, reply) => {
      requirePlatformAdmin(request);
      const id = request.params.attestationId.toLowerCase();
      await inPlatform(async (tx) => {
        const row = await tx.deleteFrom('trust_attestations').where('id', '=', id).returning('id').executeTakeFirst();
        if (row === undefined) throw new AppError('not_found');
        await record(request, tx, id, 'deleted');
      });
      return reply.status(204).send();
    },
  });

  // The evidence file: the bytes are the body (its type as Content-Type), stored encrypted.
  await server.register(async (scope) => {
    for (const type of Object.keys(EVIDENCE_TYPES)) {
      scope.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: MAX_EVIDENCE_BYTES }, (_request, body, done) => {
        done(null, body);
      });
    }
    scope.withTypeProvider<TypeBoxTypeProvider>().put('/api/v1/platform/trust/attestations/:attestationId/evidence', {
      config: { permission: 'self' },
      schema: {
        tags,
        summary: 'Upload (or replace) the evidence file of an attestation: a PDF, PNG or JPEG of at most 10 MiB as the body, with its Content-Type; stored encrypted, served as a download (platform administrators)',
        consumes: Object.keys(EVIDENCE_TYPES),
        params: Params,
        response: { 200: Strict({ id: Uuid, sha256: Type.String(), size_bytes: Type.Integer() }), ...errorResponses(400, 401, 403, 404, 409, 413, 415) },
      },
      handler: async (request) => {
        requirePlatformAdmin(request);
        const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() as EvidenceType;
        if (!Buffer.isBuffer(request.body) || !(type in EVIDENCE_TYPES)) throw new AppError('unsupported_media_type', { detail: 'Send the file itself as application/pdf, image/png or image/jpeg.' });
        const bytes = request.body;
        if (!looksLike(type, bytes)) throw new AppError('invalid_evidence_file');
        const attestationId = request.params.attestationId.toLowerCase();
        const existing = await inPlatform((tx) => tx.selectFrom('trust_attestations as a').leftJoin('trust_attestation_files as f', 'f.attestation_id', 'a.id').select(['a.id', 'f.id as file_id']).where('a.id', '=', attestationId).executeTakeFirst());
        if (existing === undefined) throw new AppError('not_found');
        const id = existing.file_id ?? uuidv7(clock, random);
        const sealed = await deps.fields.encryptField(evidenceContext(id), bytes.toString('base64'));
        const sha256 = createHash('sha256').update(bytes).digest('hex');
        await inPlatform(async (tx) => {
          const now = clock.now();
          const row = await tx
            .insertInto('trust_attestation_files')
            .values({ id, attestation_id: attestationId, content_type: type, size_bytes: bytes.byteLength, sha256, content_sealed: sealed, uploaded_at: now })
            .onConflict((oc) => oc.column('attestation_id').doUpdateSet({ content_type: type, size_bytes: bytes.byteLength, sha256, content_sealed: sealed, uploaded_at: now }).where('trust_attestation_files.id', '=', id))
            .returning('id')
            .executeTakeFirst();
          // Another upload created the row meanwhile: this ciphertext is bound to another id.
          if (row === undefined) throw new AppError('conflict', { detail: 'The evidence was uploaded at the same time; retry.' });
          const ctx = auditContext(request);
          await audit.record(tx, PLATFORM_TENANT_ID, { action: 'trust.attestation_evidence_uploaded', actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [{ type: 'trust_attestation', id: attestationId }], metadata: { content_type: type, size_bytes: bytes.byteLength, sha256 } });
        });
        deps.changed();
        return { id, sha256, size_bytes: bytes.byteLength };
      },
    });
  });

  // Served as a download only: attachment, the stored type, no sniffing, a sandbox that runs nothing.
  app.get('/trust/attestations/:attestationId/evidence', { config: { auth: 'public' }, schema: { hide: true, params: Params } }, async (request, reply) => {
    const attestationId = request.params.attestationId.toLowerCase();
    const file = await inPlatform((tx) => tx.selectFrom('trust_attestation_files').select(['id', 'content_type', 'content_sealed']).where('attestation_id', '=', attestationId).executeTakeFirst());
    if (file === undefined) throw new AppError('not_found');
    const bytes = Buffer.from(await deps.fields.decryptField(evidenceContext(file.id), file.content_sealed), 'base64');
    return reply
      .type(file.content_type)
      .header('content-disposition', `attachment; filename="evidence-${attestationId}.${EVIDENCE_TYPES[file.content_type]}"`)
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'; sandbox")
      .header('cache-control', 'no-store')
      .send(bytes);
  });
}

/**
 * Attestations: a security alert in the alert organization (PARAPET_TRUST_ALERT_ORGANIZATION)
 * `days` before an attestation lapses — or at once for one found already lapsed — once per review
 * period (`lapse_alerted_for` holds the review day alerted for; renewing moves the day, so the next
 * period alerts again). Run with the trust checks (one node at a time). Returns the alerts raised.
 */
export async function alertLapsingAttestations(deps: { transactor: AppTransactor; clock: Clock; alerts: Pick<SecurityAlerts, 'raise'>; organization: string | undefined; days: number }): Promise<number> {
  const { organization } = deps;
  if (organization === undefined) return 0;
  const now = deps.clock.now();
  const today = Date.parse(`${now.toISOString().slice(0, 10)}T00:00:00Z`);
  const inPlatform = <T>(fn: (tx: Tx) => Promise<T>) => deps.transactor.withTenant(PLATFORM_TENANT_ID, fn);
  let raised = 0;
  for (const a of await inPlatform(listAttestations)) {
    const due = reviewDue(a);
    const daysLeft = Math.round((Date.parse(`${due}T00:00:00Z`) - today) / DAY_MS);
    if (daysLeft > deps.days || a.lapse_alerted_for === due) continue;
    const lapsed = isLapsed(a, now);
    // Raised first, then marked: a failure between the two repeats the alert rather than losing it.
    await deps.transactor.withTenant(organization, (tx) =>
      deps.alerts.raise(tx, organization, { userId: '', actor: SYSTEM_ACTOR, source: { ip: null, user_agent: null, request_id: null } }, {
        kind: 'trust_attestation_lapsing',
        severity: lapsed ? 'high' : 'medium',
        summary: lapsed ? `The attestation "${a.title}" lapsed after ${due}: renew it (a new date and evidence) or the trust center keeps showing it as lapsed.` : `The attestation "${a.title}" lapses after ${due} (in ${daysLeft} day(s)) unless it is renewed.`,
        actorId: null,
        subject: { type: 'trust_attestation', id: a.id },
      }),
    );
    await inPlatform((tx) => tx.updateTable('trust_attestations').set({ lapse_alerted_for: due }).where('id', '=', a.id).execute());
    raised += 1;
  }
  return raised;
}

export interface TrustAttestationsTable {
  id: string;
  title: string;
  description: string | null;
  owner: string;
  attested_on: ColumnType<string, string, string>;
  review_interval_days: number;
  evidence_url: string | null;
  claims: string[];
  position: number;
  /** The review day a "lapses soon" alert was raised for (migration 0119). */
  lapse_alerted_for: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Date;
  updated_at: Date;
}

export interface TrustAttestationFilesTable {
  id: string;
  tenant_id: ColumnType<string, string | undefined, never>;
  attestation_id: string;
  content_type: EvidenceType;
  size_bytes: number;
  sha256: string;
  content_sealed: string;
  uploaded_at: Date;
}

declare module './trust-tables.ts' {
  interface TrustTables {
    trust_attestations: TrustAttestationsTable;
    trust_attestation_files: TrustAttestationFilesTable;
  }
}
