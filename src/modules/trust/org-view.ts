import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { uuidv7, type Random } from '../../platform/crypto/random.ts';
import { auditContext } from '../../platform/http/request-context.ts';
import { errorResponses, Strict, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import type { AuditRecorder, AuditSigner } from '../audit/index.ts';
import type { OrgCheck } from './checks-organization.ts';
import { signEvidence, type EvidenceBundle, type PublicResult } from './evidence.ts';
import { createPageCache } from './page-cache.ts';

/** One organization's view is evaluated at most this often (it verifies the organization's whole audit log). */
const VIEW_TTL_MS = 60_000;

/** One check's result for one organization, with the figures behind it. */
export interface OrgCheckResult {
  readonly check_id: string;
  readonly claims: readonly string[];
  readonly title: string;
  readonly status: string;
  readonly summary: string;
  readonly figures: Readonly<Record<string, number | string | null>>;
  readonly started_at: string;
  readonly finished_at: string;
}

export interface OrgView {
  readonly organization_id: string;
  readonly generated_at: string;
  readonly checks: readonly OrgCheckResult[];
}

/**
 * Each customer organization's own view of the trust center's checks (issue 20, item 9): the
 * organization checks (their members' MFA coverage, their key ages, their audit log's
 * verification, their retention and deletions, their encrypted values) evaluated for that
 * organization alone — every read inside its own tenant context — as JSON, and as a report signed
 * like `/trust/evidence.json` that `parapet trust verify` checks offline.
 */
export function createOrgView(deps: { checks: readonly OrgCheck[]; clock: Clock; signer: Pick<AuditSigner, 'signer' | 'verifierKey'> }) {
  const cache = createPageCache<OrgView>({ clock: deps.clock, ttlMs: VIEW_TTL_MS });
  const evaluate = async (organizationId: string): Promise<OrgView> => {
    const checks: OrgCheckResult[] = [];
    for (const check of deps.checks) {
      const started = deps.clock.now();
      const finding = await check.evaluate(organizationId, started).catch(() => ({ status: 'fail' as const, summary: 'The check could not complete.', figures: {} }));
      checks.push({ check_id: check.id, claims: [...check.claims], title: check.title, status: finding.status, summary: finding.summary, figures: finding.figures, started_at: started.toISOString(), finished_at: deps.clock.now().toISOString() });
    }
    return { organization_id: organizationId, generated_at: deps.clock.now().toISOString(), checks };
  };
  return {
    view: (organizationId: string) => cache.get(organizationId, () => evaluate(organizationId)),
    /** The view as an evidence bundle bound to the organization (`organization_id` is signed). */
    report: async (organizationId: string, random: Random): Promise<EvidenceBundle> => {
      const view = await cache.get(organizationId, () => evaluate(organizationId));
      const results = view.checks.map((c) => ({ id: uuidv7(deps.clock, random), check_id: c.check_id, claims: c.claims, status: c.status, statement: c.summary, figures: c.figures, started_at: c.started_at, finished_at: c.finished_at }) satisfies PublicResult & { figures: unknown });
      return signEvidence(deps.signer, results, deps.clock.now(), organizationId);
    },
  };
}

export type OrgViewService = ReturnType<typeof createOrgView>;

const Figures = Type.Record(Type.String(), Type.Union([Type.Number(), Type.String(), Type.Null()]));
const CheckResult = Strict({
  check_id: Type.String(),
  claims: Type.Array(Type.String()),
  title: Type.String(),
  status: Type.Union([Type.Literal('pass'), Type.Literal('fail'), Type.Literal('not_applicable')]),
  summary: Type.String(),
  figures: Figures,
  started_at: Timestamp,
  finished_at: Timestamp,
});
const View = Strict({ organization_id: Uuid, generated_at: Timestamp, checks: Type.Array(CheckResult) });
const OrgParams = Strict({ orgId: Uuid });

/**
 * `GET /api/v1/organizations/{orgId}/trust/checks` (JSON) and `…/trust/report.json` (signed,
 * downloadable). Both need `access_review.read` in that organization (the access hook answers
 * another organization's caller as it does for every organization route).
 */
export function registerOrgViewRoutes(server: FastifyInstance, deps: { view: OrgViewService; transactor: AppTransactor; random: Random; audit: Pick<AuditRecorder, 'record'> }): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['trust'];
  app.get('/api/v1/organizations/:orgId/trust/checks', {
    config: { permission: 'access_review.read' },
    schema: { tags, summary: "The trust center's checks scoped to this organization: MFA coverage, key ages, audit log verification, retention, deletions (issue 20)", params: OrgParams, response: { 200: View, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const view = await deps.view.view(request.params.orgId.toLowerCase());
      return { ...view, checks: view.checks.map((c) => ({ ...c, claims: [...c.claims], status: c.status as 'pass' | 'fail' | 'not_applicable', figures: { ...c.figures } })) };
    },
  });
  app.get('/api/v1/organizations/:orgId/trust/report.json', {
    config: { permission: 'access_review.read' },
    schema: { tags, summary: "This organization's checks as a signed report for its auditor (verify offline with `parapet trust verify`)", params: OrgParams, response: { 200: Type.Unknown(), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => {
      const orgId = request.params.orgId.toLowerCase();
      const bundle = await deps.view.report(orgId, deps.random);
      const ctx = auditContext(request);
      await deps.transactor.withTenant(orgId, (tx) =>
        deps.audit.record(tx, orgId, { action: 'trust.organization_report', actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [{ type: 'organization', id: orgId }], metadata: { checks: bundle.results.length, failing: bundle.results.filter((r) => r.status === 'fail').length } }),
        ctx.userId === '' ? undefined : ctx.userId,
      );
      return reply
        .type('application/json; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('content-disposition', `attachment; filename="trust-report-${orgId}.json"`)
        .send(JSON.stringify(bundle, null, 2));
    },
  });
}
