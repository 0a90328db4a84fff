export { createSecurityAlerts, type SecurityAlerts, type AlertInput } from './security-alerts.ts';
export type { AlertKind, AlertSeverity, AlertsTables } from './alerts-tables.ts';
export type { SecurityAlertRow } from './alerts-store.ts';
export { alertsModule } from './module.ts';
export { ALERTS_AUDIT_ACTIONS } from './audit-actions.ts';
