import type { Tx } from '../../database.ts';
import type { IncidentNoticeTemplatesTable, NoticeTemplate } from './incidents-tables.ts';

/** The platform administrators' versions of the notice templates, by kind (none: the built-in text). */
export async function loadNoticeTemplates(tx: Tx): Promise<ReadonlyMap<NoticeTemplate, IncidentNoticeTemplatesTable>> {
  const rows = await tx.selectFrom('incident_notice_templates').selectAll().execute();
  return new Map(rows.map((r) => [r.template, r]));
}
