import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { uuidv7, type Random } from '../../platform/crypto/random.ts';
import { AppError } from '../../platform/http/errors.ts';
import { auditContext, requireUser } from '../../platform/http/request-context.ts';
import { errorResponses, NoContent, Strict, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { PLATFORM_TENANT_ID, type AuditRecorder } from '../audit/index.ts';
import type { CheckRunner } from './check-runner.ts';
import type { CheckResultRow } from './check-results.ts';
import { deleteEntry, ENTRY_SCHEMAS, findEntryKind, insertEntry, listEntries, updateEntry, type Entry } from './trust-entries.ts';
import type { EntryKind } from './trust-tables.ts';
import { subprocessorNotice, type PublishSubprocessorNotice } from './subprocessor-notices.ts';

const Position = Type.Integer({ minimum: 0, maximum: 10_000, description: 'Order on the page (default 0)' });
const EntryBody = Type.Union(
  (Object.keys(ENTRY_SCHEMAS) as EntryKind[]).map((kind) => Strict({ kind: Type.Literal(kind), position: Type.Optional(Position), data: ENTRY_SCHEMAS[kind] })),
);
const EntryView = Strict({ id: Uuid, kind: Type.String(), position: Type.Integer(), data: Type.Unknown(), created_at: Timestamp, updated_at: Timestamp });
const EntryParams = Strict({ entryId: Uuid });
const CheckView = Strict({
  id: Uuid,
  check_id: Type.String(),
  claims: Type.Array(Type.String()),
  status: Type.String(),
  statement: Type.String(),
  detail: Type.String({ description: 'What the check found in detail: for platform administrators only, never on the public page' }),
  started_at: Timestamp,
  finished_at: Timestamp,
});

const toEntry = (e: Entry) => ({ id: e.id, kind: e.kind, position: e.position, data: e.data, created_at: e.created_at.toISOString(), updated_at: e.updated_at.toISOString() });
const toCheck = (r: CheckResultRow) => ({ ...r, claims: [...r.claims], started_at: r.started_at.toISOString(), finished_at: r.finished_at.toISOString() });

/** Only platform administrators manage the trust center; organization roles grant nothing here. */
function requirePlatformAdmin(request: FastifyRequest): void {
  if (!requireUser(request).isPlatformAdmin) throw new AppError('forbidden', { detail: 'Only a platform administrator can do this.' });
}

/** Platform administrators edit the published entries (TR-1, TR-2, TR-3, TR-5) and read and run the checks (TR-4). */
export function registerTrustAdminRoutes(server: FastifyInstance, deps: { transactor: AppTransactor; clock: Clock; random: Random; audit: Pick<AuditRecorder, 'record'>; runner: CheckRunner; changed: () => void; publish?: PublishSubprocessorNotice }): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { transactor, clock, random, audit } = deps;
  const recordChange = (request: FastifyRequest, tx: Parameters<Parameters<AppTransactor['withPlatform']>[0]>[0], id: string, kind: EntryKind, change: 'created' | 'updated' | 'deleted') => {
    const ctx = auditContext(request);
    return audit.record(tx, PLATFORM_TENANT_ID, { action: 'trust.entry_changed', actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [{ type: 'trust_entry', id }], metadata: { kind, change } });
  };
  const tags = ['trust'];
  // TR-3: a subprocessor change is published to the `subprocessors` subscribers in the same transaction.
  const announce = async (request: FastifyRequest, tx: Parameters<PublishSubprocessorNotice>[0], id: string, kind: EntryKind, change: 'created' | 'updated' | 'deleted', data: unknown, previous?: unknown) => {
    const notice = kind === 'subprocessor' && deps.publish !== undefined ? subprocessorNotice(change, id, data as Entry<'subprocessor'>['data'], clock.now(), previous) : undefined;
    if (notice !== undefined) await deps.publish?.(tx, notice, auditContext(request));
  };

  app.get('/api/v1/platform/trust/entries', {
    config: { permission: 'self' },
    schema: { tags, summary: 'List the trust center entries (platform administrators)', response: { 200: Strict({ items: Type.Array(EntryView) }), ...errorResponses(401, 403) } },
    handler: async (request) => {
      requirePlatformAdmin(request);
      const entries = await transactor.withTenant(PLATFORM_TENANT_ID, listEntries);
      return { items: [...entries.certification, ...entries.document, ...entries.subprocessor, ...entries.faq].map((e) => toEntry(e as Entry)) };
    },
  });

  app.post('/api/v1/platform/trust/entries', {
    config: { permission: 'self' },
    schema: { tags, summary: 'Publish a certification, document, subprocessor or question (platform administrators)', body: EntryBody, response: { 201: Strict({ id: Uuid }), ...errorResponses(400, 401, 403) } },
    handler: async (request, reply) => {
      requirePlatformAdmin(request);
      const id = uuidv7(clock, random);
      await transactor.withTenant(PLATFORM_TENANT_ID, async (tx) => {
        await insertEntry(tx, { id, kind: request.body.kind, position: request.body.position ?? 0, data: request.body.data, now: clock.now() });
        await recordChange(request, tx, id, request.body.kind, 'created');
        await announce(request, tx, id, request.body.kind, 'created', request.body.data);
      });
      deps.changed();
      return reply.status(201).send({ id });
    },
  });

  app.put('/api/v1/platform/trust/entries/:entryId', {
    config: { permission: 'self' },
    schema: { tags, summary: 'Replace a trust center entry; its kind cannot change (platform administrators)', params: EntryParams, body: EntryBody, response: { 200: Strict({ id: Uuid }), ...errorResponses(400, 401, 403, 404, 409) } },
    handler: async (request) => {
      requirePlatformAdmin(request);
      const id = request.params.entryId.toLowerCase();
      await transactor.withTenant(PLATFORM_TENANT_ID, async (tx) => {
        const kind = await findEntryKind(tx, id);
        if (kind === undefined) throw new AppError('not_found');
        if (kind !== request.body.kind) throw new AppError('conflict', { detail: 'An entry keeps its kind; delete it and create another.' });
        const previous = await tx.selectFrom('trust_entries').select('data').where('id', '=', id).executeTakeFirst();
        await updateEntry(tx, id, { position: request.body.position ?? 0, data: request.body.data, now: clock.now() });
        await recordChange(request, tx, id, kind, 'updated');
        await announce(request, tx, id, kind, 'updated', request.body.data, previous?.data);
      });
      deps.changed();
      return { id };
    },
  });

  app.delete('/api/v1/platform/trust/entries/:entryId', {
    config: { permission: 'self' },
    schema: { tags, summary: 'Remove a trust center entry (platform administrators)', params: EntryParams, response: { 204: NoContent, ...errorResponses(401, 403, 404) } },
    handler: async (request, reply) => {
      requirePlatformAdmin(request);
      const id = request.params.entryId.toLowerCase();
      await transactor.withTenant(PLATFORM_TENANT_ID, async (tx) => {
        const before = await tx.selectFrom('trust_entries').select('data').where('id', '=', id).executeTakeFirst();
        const kind = await deleteEntry(tx, id);
        if (kind === undefined) throw new AppError('not_found');
        await recordChange(request, tx, id, kind, 'deleted');
        await announce(request, tx, id, kind, 'deleted', before?.data);
      });
      deps.changed();
      return reply.status(204).send();
    },
  });

  app.get('/api/v1/platform/trust/checks', {
    config: { permission: 'self' },
    schema: { tags, summary: 'The latest result of each trust center check, with the private detail (platform administrators)', response: { 200: Strict({ items: Type.Array(CheckView) }), ...errorResponses(401, 403) } },
    handler: async (request) => {
      requirePlatformAdmin(request);
      return { items: (await deps.runner.latest()).map(toCheck) };
    },
  });

  app.post('/api/v1/platform/trust/checks/run', {
    config: { permission: 'self' },
    schema: { tags, summary: 'Run every trust center check now (platform administrators)', response: { 200: Strict({ items: Type.Array(CheckView) }), ...errorResponses(401, 403) } },
    handler: async (request) => {
      requirePlatformAdmin(request);
      return { items: (await deps.runner.runAll()).map(toCheck) };
    },
  });
}
