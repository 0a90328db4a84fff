import type { AuditContext } from '../audit/index.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { IncidentsTable } from './incidents-tables.ts';

/**
 * Roles (IR-1): once an incident has a commander, only the commander decides (phase, severity,
 * title, components, breach, clocks, resolution, the review); anyone may still take the role over,
 * which is recorded on the timeline and in the audit log.
 */
export function requireCommander(incident: Pick<IncidentsTable, 'commander_id'>, ctx: AuditContext): void {
  if (incident.commander_id !== null && incident.commander_id !== ctx.userId) throw new AppError('incident_role_required', { detail: 'Only the incident commander can do this; take the role first.' });
}

/** Once an incident has a communications lead (or a commander), only they speak for it (public updates, notices). */
export function requireCommunications(incident: Pick<IncidentsTable, 'commander_id' | 'communications_id'>, ctx: AuditContext): void {
  const speakers = [incident.communications_id, incident.commander_id].filter((x): x is string => x !== null);
  if (speakers.length > 0 && !speakers.includes(ctx.userId)) throw new AppError('incident_role_required', { detail: 'Only the communications lead or the commander can speak for this incident; take the role first.' });
}
