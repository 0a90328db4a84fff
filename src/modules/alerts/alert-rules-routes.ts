import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/http/errors.ts';
import { auditContext, requireUser } from '../../platform/http/request-context.ts';
import { errorResponses, NoContent, Nullable, Strict, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { PLATFORM_TENANT_ID, type AuditRecorder } from '../audit/index.ts';
import { ALERT_KINDS, ALERT_SEVERITIES, DEFAULT_ALERT_RULES } from './alert-rules.ts';
import type { AlertDelivery } from './alert-deliveries.ts';
import type { AlertKind } from './alerts-tables.ts';

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));
const Kind = literals(ALERT_KINDS);
const Severity = literals(ALERT_SEVERITIES);
const RuleView = Strict({
  kind: Type.String(), description: Type.String(), enabled: Type.Boolean(), threshold: Type.Integer(), window_seconds: Type.Integer(), severity: Type.String(),
  overridden: Type.Boolean({ description: 'false: the built-in default applies' }), default: Strict({ enabled: Type.Boolean(), threshold: Type.Integer(), window_seconds: Type.Integer(), severity: Type.String() }),
  updated_at: Nullable(Timestamp), updated_by: Nullable(Uuid),
});
const DeliveryView = Strict({
  id: Uuid, organization_id: Uuid, alert_id: Uuid, kind: Type.String(), severity: Type.String(), channel: Type.String({ description: 'mail or webhook' }), target: Type.String(), created_at: Timestamp, attempts: Type.Integer(),
  delivered_at: Nullable(Timestamp), failed_at: Nullable(Timestamp), last_error: Nullable(Type.String()),
});

/** Alert rules and routing are the deployment's: only platform administrators. */
function requirePlatformAdmin(request: FastifyRequest): void {
  if (!requireUser(request).isPlatformAdmin) throw new AppError('forbidden', { detail: 'Only a platform administrator can do this.' });
}

/** Alert rules (IR-5): the built-in defaults and platform administrators' overrides; the routing record. */
export function registerAlertRuleRoutes(server: FastifyInstance, deps: { transactor: AppTransactor; clock: Clock; audit: Pick<AuditRecorder, 'record'>; delivery: Pick<AlertDelivery, 'ofAlert'> }): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { transactor, clock, audit } = deps;
  const tags = ['security alerts'];
  const admin = { permission: 'self' } as const;

  const view = async () => {
    const rows = await transactor.withTenant(PLATFORM_TENANT_ID, (tx) => tx.selectFrom('security_alert_rules').selectAll().execute());
    return ALERT_KINDS.map((kind) => {
      const base = DEFAULT_ALERT_RULES[kind];
      const row = rows.find((r) => r.kind === kind);
      return {
        kind, description: base.description,
        enabled: row?.enabled ?? base.enabled, threshold: row?.threshold ?? base.threshold, window_seconds: row?.window_seconds ?? base.windowSeconds, severity: row?.severity ?? base.severity,
        overridden: row !== undefined, default: { enabled: base.enabled, threshold: base.threshold, window_seconds: base.windowSeconds, severity: base.severity },
        updated_at: row?.updated_at.toISOString() ?? null, updated_by: row?.updated_by ?? null,
      };
    });
  };

  app.get('/api/v1/platform/alert-rules', {
    config: admin,
    schema: { tags, summary: 'The security-alert rules in force: defaults and overrides (platform administrators)', response: { 200: Strict({ items: Type.Array(RuleView) }), ...errorResponses(401, 403) } },
    handler: async (request) => {
      requirePlatformAdmin(request);
      return { items: await view() };
    },
  });

  app.put('/api/v1/platform/alert-rules/:kind', {
    config: admin,
    schema: {
      tags, summary: "Override a rule's enabled state, threshold, window or severity (platform administrators)",
      params: Strict({ kind: Kind }),
      body: Strict({ enabled: Type.Optional(Type.Boolean()), threshold: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })), window_seconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 31_622_400 })), severity: Type.Optional(Severity) }),
      response: { 200: RuleView, ...errorResponses(400, 401, 403) },
    },
    handler: async (request) => {
      requirePlatformAdmin(request);
      const ctx = auditContext(request);
      const kind: AlertKind = request.params.kind;
      await transactor.withTenant(PLATFORM_TENANT_ID, async (tx) => {
        const current = await tx.selectFrom('security_alert_rules').selectAll().where('kind', '=', kind).forUpdate().executeTakeFirst();
        const base = DEFAULT_ALERT_RULES[kind];
        const b = request.body;
        const row = {
          kind,
          enabled: b.enabled ?? current?.enabled ?? base.enabled,
          threshold: b.threshold ?? current?.threshold ?? base.threshold,
          window_seconds: b.window_seconds ?? current?.window_seconds ?? base.windowSeconds,
          severity: b.severity ?? current?.severity ?? base.severity,
          updated_by: ctx.userId === '' ? null : ctx.userId,
          updated_at: clock.now(),
        };
        await tx.insertInto('security_alert_rules').values(row).onConflict((oc) => oc.column('kind').doUpdateSet(row)).execute();
        await audit.record(tx, PLATFORM_TENANT_ID, { action: 'security_alert.rule_changed', actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [], metadata: { kind, enabled: row.enabled, threshold: row.threshold, window_seconds: row.window_seconds, severity: row.severity } });
      });
      const rule = (await view()).find((r) => r.kind === kind);
      if (rule === undefined) throw new AppError('not_found');
      return rule;
    },
  });

  app.delete('/api/v1/platform/alert-rules/:kind', {
    config: admin,
    schema: { tags, summary: 'Return a rule to its built-in default (platform administrators)', params: Strict({ kind: Kind }), response: { 204: NoContent, ...errorResponses(400, 401, 403) } },
    handler: async (request, reply) => {
      requirePlatformAdmin(request);
      const ctx = auditContext(request);
      const kind = request.params.kind;
      await transactor.withTenant(PLATFORM_TENANT_ID, async (tx) => {
        const removed = await tx.deleteFrom('security_alert_rules').where('kind', '=', kind).returning('kind').executeTakeFirst();
        if (removed !== undefined) await audit.record(tx, PLATFORM_TENANT_ID, { action: 'security_alert.rule_changed', actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [], metadata: { kind, reset: true } });
      });
      return reply.code(204).send();
    },
  });

  app.get('/api/v1/platform/security-alerts/organizations/:orgId/:alertId/deliveries', {
    config: { permission: 'self' },
    schema: { tags, summary: "Where an alert was routed (mail, webhook) and whether it arrived (platform administrators)", params: Strict({ orgId: Uuid, alertId: Uuid }), response: { 200: Strict({ items: Type.Array(DeliveryView) }), ...errorResponses(400, 401, 403) } },
    handler: async (request) => {
      requirePlatformAdmin(request);
      const rows = await deps.delivery.ofAlert(request.params.orgId.toLowerCase(), request.params.alertId.toLowerCase());
      return {
        items: rows.map((d) => ({ id: d.id, organization_id: d.organization_id, alert_id: d.alert_id, kind: d.kind, severity: d.severity, channel: d.channel, target: d.target, created_at: d.created_at.toISOString(), attempts: d.attempts, delivered_at: d.delivered_at?.toISOString() ?? null, failed_at: d.failed_at?.toISOString() ?? null, last_error: d.last_error })),
      };
    },
  });
}
