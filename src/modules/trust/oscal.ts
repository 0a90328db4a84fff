import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { EvidenceBundle, PublicResult } from './evidence.ts';

/** The OSCAL version the export follows (NIST OSCAL 1.1, assessment-results model). */
export const OSCAL_VERSION = '1.1.2';

/**
 * A name-based UUID (RFC 9562 version 5 layout over SHA-256, truncated): OSCAL 1.1 accepts only
 * version 4 or 5 UUIDs, and the check results' ids are version 7. The same input always gives the
 * same UUID, so an export of the same results is the same document.
 */
export function oscalUuid(name: string): string {
  const b = createHash('sha256').update(`parapet-oscal:${name}`).digest().subarray(0, 16);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x50;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const STATE = { pass: 'satisfied', fail: 'not-satisfied' } as const;

/**
 * The latest check results as an OSCAL 1.1 assessment-results document (issue 20): one result
 * (this run of the automated assessment), one observation per check (method TEST, what it found),
 * and one finding per claim the checks bear on, `satisfied` when every bound check passed and
 * `not-satisfied` when any failed; a claim whose checks are all not applicable has no finding.
 * Claims are the target objectives (`target-id` is the claim id of docs/claims.md).
 */
export function assessmentResults(input: { title: string; publicUrl: string; generatedAt: Date; results: readonly PublicResult[] }) {
  const { results } = input;
  const at = input.generatedAt.toISOString();
  const start = results.reduce((min, r) => (r.started_at < min ? r.started_at : min), at);
  const observations = results.map((r) => ({
    uuid: oscalUuid(`observation:${r.id}`),
    title: r.check_id,
    description: r.statement,
    methods: ['TEST'],
    types: ['control-objective'],
    props: [{ name: 'result', ns: 'https://parapet.dev/ns/oscal', value: r.status === 'not_applicable' ? 'not-applicable' : r.status }],
    subjects: [{ 'subject-uuid': oscalUuid('deployment'), type: 'component' }],
    collected: r.finished_at,
  }));
  const claims = [...new Set(results.flatMap((r) => r.claims))].sort();
  const findings = claims.flatMap((claim) => {
    const bound = results.filter((r) => r.claims.includes(claim) && r.status !== 'not_applicable');
    if (bound.length === 0) return [];
    const state = bound.some((r) => r.status === 'fail') ? STATE.fail : STATE.pass;
    return [
      {
        uuid: oscalUuid(`finding:${claim}:${bound.map((r) => r.id).join(',')}`),
        title: claim,
        description: `${claim}: ${bound.length} automated check(s) of the running deployment.`,
        target: { type: 'objective-id', 'target-id': claim, status: { state } },
        'related-observations': bound.map((r) => ({ 'observation-uuid': oscalUuid(`observation:${r.id}`) })),
      },
    ];
  });
  return {
    'assessment-results': {
      uuid: oscalUuid(`assessment-results:${results.map((r) => r.id).join(',')}:${at}`),
      metadata: { title: `${input.title} — automated control checks`, 'last-modified': at, version: at, 'oscal-version': OSCAL_VERSION },
      'import-ap': { href: new URL('/trust/controls', input.publicUrl).href },
      results: [
        {
          uuid: oscalUuid(`result:${results.map((r) => r.id).join(',')}`),
          title: 'Trust center live checks',
          description: 'The latest run of every automated check of the trust center (TR-4); the evidence bundle at /trust/evidence.json holds the same results, signed.',
          start,
          end: at,
          'reviewed-controls': { 'control-selections': [{ 'include-all': {} }] },
          ...(observations.length === 0 ? {} : { observations }),
          ...(findings.length === 0 ? {} : { findings }),
        },
      ],
    },
  };
}

/** `GET /trust/assessment-results.json`: the signed evidence's results (same run, same cache) in OSCAL form. Public, like the evidence. */
export function registerOscalRoute(app: FastifyInstance, deps: { evidence: () => Promise<EvidenceBundle>; title: string; publicUrl: string }): void {
  app.get('/trust/assessment-results.json', { config: { auth: 'public' } }, async (_request, reply) => {
    const bundle = await deps.evidence();
    const document = assessmentResults({ title: deps.title, publicUrl: deps.publicUrl, generatedAt: new Date(bundle.generated_at), results: bundle.results });
    return reply.type('application/json; charset=utf-8').header('cache-control', 'public, max-age=60').header('content-disposition', 'inline; filename="trust-assessment-results.json"').send(JSON.stringify(document, null, 2));
  });
}
