import type { FastifyInstance } from 'fastify';
import type { AppTransactor } from '../../database.ts';
import { csvLine } from '../../platform/csv/csv-line.ts';
import { PLATFORM_TENANT_ID } from '../audit/index.ts';
import { CLAIMS } from './claims-catalogue.ts';
import { listEntries, type Entry } from './trust-entries.ts';

/** The columns of the questionnaire export (TR-5). */
export const FAQ_CSV_COLUMNS = ['section', 'question', 'answer', 'controls', 'control_statements'] as const;

/**
 * The questions and answers and the shared-responsibility statements as RFC 4180 CSV, each with
 * the controls (claim ids) it is linked to and their statements, for answering a questionnaire.
 * Every field goes through the project's CSV writer, which defuses formula-looking cells.
 */
export function renderFaqCsv(entries: readonly Entry<'faq'>[]): string {
  const statement = new Map(CLAIMS.map((c) => [c.id, c.text]));
  const lines = [csvLine(FAQ_CSV_COLUMNS)];
  for (const e of entries) {
    const claims = e.data.claims ?? [];
    lines.push(csvLine([e.data.section, e.data.question, e.data.answer, claims.join(' '), claims.map((id) => `${id}: ${statement.get(id) ?? ''}`).join('\n')]));
  }
  return lines.join('');
}

/** `GET /trust/faq.csv`: the public FAQ page's content as a download (no database work beyond the entries). */
export function registerFaqCsvRoute(app: FastifyInstance, deps: { transactor: AppTransactor }): void {
  app.get('/trust/faq.csv', { config: { auth: 'public' } }, async (_request, reply) => {
    const entries = await deps.transactor.withTenant(PLATFORM_TENANT_ID, listEntries);
    return reply.type('text/csv; charset=utf-8').header('cache-control', 'public, max-age=60').header('content-disposition', 'attachment; filename="trust-questionnaire.csv"').send(renderFaqCsv(entries.faq));
  });
}
