import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { uuidv7, type Random } from '../../platform/crypto/random.ts';
import { AppError } from '../../platform/http/errors.ts';
import { PLATFORM_TENANT_ID, type AuditContext, type AuditRecorder } from '../audit/index.ts';
import { requireCommander } from './incident-roles.ts';
import type { ActionStatus, IncidentReviewActionsTable, IncidentReviewsTable, IncidentsTable, NoticeTemplate } from './incidents-tables.ts';
import { NOTICE_TEMPLATES } from './incidents-tables.ts';
import { loadNoticeTemplates } from './notice-template-store.ts';
import { fillTemplate, renderNotice, unknownPlaceholders, type NoticeFields } from './notice-templates.ts';

export interface ReviewText {
  readonly summary: string;
  readonly root_cause: string;
  readonly went_well: string;
  readonly went_badly: string;
}

type AuditAction = Parameters<AuditRecorder['record']>[2]['action'];

/**
 * The post-incident review with its actions (IR-1) and the editable notice templates (IR-3).
 * Platform-level like the incidents: every write runs in the platform context and is audited there
 * in the same transaction. Publishing the review meets the 14-day post_incident_report clock.
 */
export function createIncidentReviews(deps: { transactor: AppTransactor; clock: Clock; random: Random; audit: Pick<AuditRecorder, 'record'> }) {
  const { transactor, clock, random, audit } = deps;
  const inPlatform = <T>(fn: (tx: Tx) => Promise<T>) => transactor.withTenant(PLATFORM_TENANT_ID, fn);
  const record = (tx: Tx, ctx: AuditContext, action: AuditAction, target: { type: string; id: string }, metadata: Readonly<Record<string, string | number | boolean | null>>) =>
    audit.record(tx, PLATFORM_TENANT_ID, { action, actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [target], metadata });
  const userOf = (ctx: AuditContext) => (ctx.userId === '' ? null : ctx.userId);
  const lockIncident = async (tx: Tx, id: string): Promise<IncidentsTable> => {
    const row = await tx.selectFrom('incidents').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (row === undefined) throw new AppError('not_found');
    return row;
  };
  const entry = (tx: Tx, incidentId: string, body: string, ctx: AuditContext) =>
    tx.insertInto('incident_entries').values({ id: uuidv7(clock, random), incident_id: incidentId, kind: 'change', body, author_id: userOf(ctx), created_at: clock.now() }).execute();
  const empty = (incidentId: string): IncidentReviewsTable => ({ incident_id: incidentId, summary: '', root_cause: '', went_well: '', went_badly: '', updated_at: clock.now(), updated_by: null, published_at: null, published_by: null });

  return {
    /** The review (empty until first saved) and its actions, oldest first. */
    get: (incidentId: string) =>
      inPlatform(async (tx) => {
        const incident = await tx.selectFrom('incidents').select('id').where('id', '=', incidentId).executeTakeFirst();
        if (incident === undefined) throw new AppError('not_found');
        const review = (await tx.selectFrom('incident_reviews').selectAll().where('incident_id', '=', incidentId).executeTakeFirst()) ?? empty(incidentId);
        const actions = await tx.selectFrom('incident_review_actions').selectAll().where('incident_id', '=', incidentId).orderBy('created_at').orderBy('id').limit(500).execute();
        return { review, actions };
      }),

    /** Saves the review's text (the commander, once set); a published review is fixed. */
    save: (ctx: AuditContext, incidentId: string, text: ReviewText) =>
      inPlatform(async (tx) => {
        const incident = await lockIncident(tx, incidentId);
        requireCommander(incident, ctx);
        const now = clock.now();
        const before = await tx.selectFrom('incident_reviews').select('published_at').where('incident_id', '=', incidentId).executeTakeFirst();
        if (before?.published_at != null) throw new AppError('review_published');
        await tx.insertInto('incident_reviews').values({ ...empty(incidentId), ...text, updated_at: now, updated_by: userOf(ctx) })
          .onConflict((oc) => oc.column('incident_id').doUpdateSet({ ...text, updated_at: now, updated_by: userOf(ctx) })).execute();
        await record(tx, ctx, 'incident.review_saved', { type: 'incident', id: incidentId }, { published: false });
      }),

    /**
     * Publishes the review (IR-2): the incident must be resolved and the review must say what
     * happened and why. Meets the post_incident_report clock ("review:<incident>"), once.
     */
    publish: (ctx: AuditContext, incidentId: string) =>
      inPlatform(async (tx) => {
        const incident = await lockIncident(tx, incidentId);
        requireCommander(incident, ctx);
        if (incident.resolved_at === null) throw new AppError('incident_open');
        const review = await tx.selectFrom('incident_reviews').selectAll().where('incident_id', '=', incidentId).executeTakeFirst();
        if (review?.published_at != null) throw new AppError('review_published');
        if (review === undefined || review.summary.trim() === '' || review.root_cause.trim() === '') throw new AppError('review_incomplete');
        const now = clock.now();
        await tx.updateTable('incident_reviews').set({ published_at: now, published_by: userOf(ctx) }).where('incident_id', '=', incidentId).execute();
        const met = await tx.updateTable('incident_clocks').set({ met_at: now, met_by: `review:${incidentId}` }).where('incident_id', '=', incidentId).where('clock', '=', 'post_incident_report').where('met_at', 'is', null).returning('id').execute();
        await entry(tx, incidentId, 'post-incident review published', ctx);
        await record(tx, ctx, 'incident.review_published', { type: 'incident', id: incidentId }, { clocksMet: met.length });
      }),

    addAction: (ctx: AuditContext, incidentId: string, input: { title: string; ownerId: string | null; dueOn: string | null }) =>
      inPlatform(async (tx) => {
        const incident = await lockIncident(tx, incidentId);
        requireCommander(incident, ctx);
        const now = clock.now();
        const row: IncidentReviewActionsTable = { id: uuidv7(clock, random), incident_id: incidentId, title: input.title, owner_id: input.ownerId, due_on: input.dueOn, status: 'open', created_at: now, updated_at: now };
        await tx.insertInto('incident_review_actions').values(row).execute();
        await record(tx, ctx, 'incident.review_action_changed', { type: 'incident', id: incidentId }, { actionId: row.id, change: 'added', status: row.status });
        return row;
      }),

    /** Changes an action; its owner may change its status too, without being the commander. */
    changeAction: (ctx: AuditContext, incidentId: string, actionId: string, input: { title?: string | undefined; ownerId?: string | null | undefined; dueOn?: string | null | undefined; status?: ActionStatus | undefined }) =>
      inPlatform(async (tx) => {
        const incident = await lockIncident(tx, incidentId);
        const action = await tx.selectFrom('incident_review_actions').selectAll().where('incident_id', '=', incidentId).where('id', '=', actionId).forUpdate().executeTakeFirst();
        if (action === undefined) throw new AppError('not_found');
        const onlyStatus = input.title === undefined && input.ownerId === undefined && input.dueOn === undefined;
        if (!(onlyStatus && action.owner_id !== null && action.owner_id === ctx.userId)) requireCommander(incident, ctx);
        const set: Partial<IncidentReviewActionsTable> = { updated_at: clock.now() };
        if (input.title !== undefined) set.title = input.title;
        if (input.ownerId !== undefined) set.owner_id = input.ownerId;
        if (input.dueOn !== undefined) set.due_on = input.dueOn;
        if (input.status !== undefined) set.status = input.status;
        await tx.updateTable('incident_review_actions').set(set).where('id', '=', actionId).execute();
        await record(tx, ctx, 'incident.review_action_changed', { type: 'incident', id: incidentId }, { actionId, change: 'changed', status: set.status ?? action.status });
      }),

    /** Every notice kind with its current text: the edited one, or the built-in (`custom: false`). */
    templates: () =>
      inPlatform(async (tx) => {
        const custom = await loadNoticeTemplates(tx);
        return NOTICE_TEMPLATES.map((template) => {
          const row = custom.get(template);
          return row === undefined ? { template, custom: false, subject: '', body: '', updated_at: null } : { template, custom: true, subject: row.subject, body: row.body, updated_at: row.updated_at };
        });
      }),

    /** Replaces a notice kind's text; a placeholder not in the list is refused (without echoing it). */
    putTemplate: (ctx: AuditContext, template: NoticeTemplate, input: { subject: string; body: string }) =>
      inPlatform(async (tx) => {
        if (unknownPlaceholders(input.subject).length > 0 || unknownPlaceholders(input.body).length > 0) throw new AppError('unknown_placeholder');
        const now = clock.now();
        await tx.insertInto('incident_notice_templates').values({ template, subject: input.subject, body: input.body, updated_at: now, updated_by: userOf(ctx) })
          .onConflict((oc) => oc.column('template').doUpdateSet({ subject: input.subject, body: input.body, updated_at: now, updated_by: userOf(ctx) })).execute();
        await record(tx, ctx, 'incident.template_changed', { type: 'incident_notice_template', id: template }, { change: 'edited' });
      }),

    /** Back to the built-in text. */
    resetTemplate: (ctx: AuditContext, template: NoticeTemplate) =>
      inPlatform(async (tx) => {
        await tx.deleteFrom('incident_notice_templates').where('template', '=', template).execute();
        await record(tx, ctx, 'incident.template_changed', { type: 'incident_notice_template', id: template }, { change: 'reset' });
      }),

    /** What a notice kind renders to for sample fields (or for given text, before saving it). */
    preview: async (template: NoticeTemplate, fields: NoticeFields, text?: { subject: string; body: string }) => {
      if (text !== undefined) {
        if (unknownPlaceholders(text.subject).length > 0 || unknownPlaceholders(text.body).length > 0) throw new AppError('unknown_placeholder');
        return fillTemplate(text, fields);
      }
      const custom = await inPlatform((tx) => loadNoticeTemplates(tx));
      return renderNotice(template, fields, custom.get(template));
    },
  };
}

export type IncidentReviews = ReturnType<typeof createIncidentReviews>;
