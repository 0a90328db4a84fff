import { Type, type Static } from '@sinclair/typebox';
import { sql } from 'kysely';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ColumnType } from 'kysely';
import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { uuidv7, type Random } from '../../platform/crypto/random.ts';
import { AppError } from '../../platform/http/errors.ts';
import { html, htmlDocument } from '../../platform/http/html.ts';
import { auditContext, requireUser } from '../../platform/http/request-context.ts';
import { errorResponses, NoContent, Nullable, Strict, Uuid } from '../../platform/http/schemas.ts';
import { PLATFORM_TENANT_ID, type AuditRecorder } from '../audit/index.ts';

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
}

const DAY_MS = 86_400_000;

/** The day by which the attestation must be renewed (`attested_on` + interval). */
export function reviewDue(a: Pick<Attestation, 'attested_on' | 'review_interval_days'>): string {
  return new Date(Date.parse(`${a.attested_on}T00:00:00Z`) + a.review_interval_days * DAY_MS).toISOString().slice(0, 10);
}

/** Lapsed once its review day has passed (UTC): computed at each render, so nobody has to mark it. */
export function isLapsed(a: Pick<Attestation, 'attested_on' | 'review_interval_days'>, now: Date): boolean {
  return now.toISOString().slice(0, 10) > reviewDue(a);
}

async function listAttestations(tx: Tx): Promise<Attestation[]> {
  // The day as text: a driver turning `date` into a local-time Date could shift it across midnight.
  return tx
    .selectFrom('trust_attestations')
    .select(['id', 'title', 'description', 'owner', sql<string>`attested_on::text`.as('attested_on'), 'review_interval_days', 'evidence_url', 'claims', 'position'])
    .orderBy('position')
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** The public page: each attestation with its owner, date, evidence and state in words. */
export function renderAttestationsPage(brand: string, attestations: readonly Attestation[], now: Date): string {
  const rows = attestations.map((a) => {
    const lapsed = isLapsed(a, now);
    return html`<tr><th scope="row">${a.title}${a.description === null ? '' : html`<br><span class="meta">${a.description}</span>`}</th><td>${a.owner}</td><td><time datetime="${a.attested_on}">${a.attested_on}</time></td><td>every ${a.review_interval_days} days, due <time datetime="${reviewDue(a)}">${reviewDue(a)}</time></td><td>${a.evidence_url === null ? '—' : html`<a href="${a.evidence_url}">Evidence</a>`}</td><td><span class="state state-${lapsed ? 'failing' : 'passing'}">${lapsed ? 'Lapsed' : 'Current'}</span></td></tr>`;
  });
  return htmlDocument({
    title: `Attestations — ${brand} Trust Center`,
    stylesheets: ['/trust/trust.css'],
    body: html`<a class="skip" href="#main">Skip to content</a>
<header class="site"><div class="brand"><span>${brand} Trust Center</span></div>
<nav aria-label="Trust center"><ul><li><a href="/trust">Overview</a></li><li><a href="/trust/controls">Security controls</a></li><li><a href="/trust/attestations" aria-current="page">Attestations</a></li></ul></nav></header>
<main id="main"><h1>Attestations</h1>
<p>Organizational controls that no automated check can see, stated by a named owner with a date and evidence. An attestation not renewed within its review interval shows as lapsed.</p>
${attestations.length === 0 ? html`<p>No attestations are published yet.</p>` : html`<table><thead><tr><th scope="col">Control</th><th scope="col">Owner</th><th scope="col">Attested</th><th scope="col">Review</th><th scope="col">Evidence</th><th scope="col">State</th></tr></thead><tbody>${rows}</tbody></table>`}
</main>`,
  });
}

const View = Strict({ id: Uuid, title: Type.String(), description: Nullable(Type.String()), owner: Type.String(), attested_on: Type.String(), review_interval_days: Type.Integer(), evidence_url: Nullable(Type.String()), claims: Type.Array(Type.String()), position: Type.Integer(), review_due: Type.String(), lapsed: Type.Boolean() });
const Params = Strict({ attestationId: Uuid });

/** `/trust/attestations` and the platform administrators' API to keep attestations. */
export function registerAttestationRoutes(server: FastifyInstance, deps: { transactor: AppTransactor; clock: Clock; random: Random; audit: Pick<AuditRecorder, 'record'>; brand: string }): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { transactor, clock, random, audit } = deps;
  const inPlatform = <T>(fn: (tx: Tx) => Promise<T>) => transactor.withTenant(PLATFORM_TENANT_ID, fn);
  const tags = ['trust'];
  const requirePlatformAdmin = (request: FastifyRequest) => {
    if (!requireUser(request).isPlatformAdmin) throw new AppError('forbidden', { detail: 'Only a platform administrator can do this.' });
  };
  const record = (request: FastifyRequest, tx: Tx, id: string, change: 'created' | 'updated' | 'deleted') => {
    const ctx = auditContext(request);
    return audit.record(tx, PLATFORM_TENANT_ID, { action: 'trust.attestation_changed', actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [{ type: 'trust_attestation', id }], metadata: { change } });
  };
  const values = (b: AttestationBody) => ({ title: b.title, description: b.description ?? null, owner: b.owner, attested_on: b.attested_on, review_interval_days: b.review_interval_days, evidence_url: b.evidence_url ?? null, claims: b.claims ?? [], position: b.position ?? 0 });
  const checkDay = (day: string) => {
    if (Number.isNaN(Date.parse(`${day}T00:00:00Z`)) || new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) !== day) throw new AppError('invalid_request', { detail: 'attested_on is not a calendar day.' });
  };

  app.get('/trust/attestations', { config: { auth: 'public' }, schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'public, max-age=60').send(renderAttestationsPage(deps.brand, await inPlatform(listAttestations), clock.now())),
  );

  app.get('/api/v1/platform/trust/attestations', {
    config: { permission: 'self' },
    schema: { tags, summary: 'Attestations with their review state (platform administrators)', response: { 200: Strict({ items: Type.Array(View) }), ...errorResponses(401, 403) } },
    handler: async (request) => {
      requirePlatformAdmin(request);
      const now = clock.now();
      return { items: (await inPlatform(listAttestations)).map((a) => ({ ...a, claims: [...a.claims], review_due: reviewDue(a), lapsed: isLapsed(a, now) })) };
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
  created_at: Date;
  updated_at: Date;
}

declare module './trust-tables.ts' {
  interface TrustTables {
    trust_attestations: TrustAttestationsTable;
  }
}
