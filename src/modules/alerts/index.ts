export { createSecurityAlerts, type SecurityAlerts, type AlertInput } from './security-alerts.ts';
export type { AlertKind, AlertSeverity, AlertsTables } from './alerts-tables.ts';
export type { SecurityAlertRow } from './alerts-store.ts';
export { alertsModule, ALERT_DELIVERY_LOCK_KEY } from './module.ts';
export { ALERTS_AUDIT_ACTIONS } from './audit-actions.ts';
export { DEFAULT_ALERT_RULES, windowStart, type AlertRule } from './alert-rules.ts';
export { alertPayload, type AlertDelivery, type AlertRoutes } from './alert-deliveries.ts';
