export { incidentsModule } from './module.ts';
export type { Incidents, ClockView } from './incidents-service.ts';
export { INCIDENTS_AUDIT_ACTIONS } from './audit-actions.ts';
export { INCIDENTS_ERRORS } from './errors.ts';
