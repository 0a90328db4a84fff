import { defineModule } from '../contract.ts';
import { ALERTS_AUDIT_ACTIONS } from './audit-actions.ts';
import { createSecurityAlerts, type SecurityAlerts } from './security-alerts.ts';
import { ALERTS_RETENTION } from './retention.ts';

declare module '../contract.ts' {
  interface ModuleApis {
    alerts: SecurityAlerts;
  }
}

export const alertsModule = defineModule({
  name: 'alerts',
  summary: 'Security alerts raised by other modules (break-glass, refresh-token reuse), listed and acknowledged per organization.',
  dependsOn: ['audit'],
  tables: { security_alerts: { scope: 'tenant' } },
  retention: ALERTS_RETENTION,
  auditActions: ALERTS_AUDIT_ACTIONS,
  create: (ctx, { audit }) => ({
    api: createSecurityAlerts({ transactor: ctx.transactor, clock: ctx.clock, random: ctx.random, audit: audit.recorder, logger: ctx.logger }),
  }),
});
