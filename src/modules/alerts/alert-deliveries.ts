import type { Logger } from 'pino';
import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Random } from '../../platform/crypto/random.ts';
import type { Mailer } from '../../platform/mail/index.ts';
import { PLATFORM_TENANT_ID } from '../audit/index.ts';
import { DeliveryError, postWebhook, retryDelayMs, signWebhook, type AddressGuard } from '../audit-streaming/index.ts';
import type { AlertSeverity, SecurityAlertDeliveriesTable } from './alerts-tables.ts';

/** Where new alerts are routed, by least severity (PARAPET_ALERTS_*). */
export interface AlertRoutes {
  readonly mailTo: readonly string[];
  readonly mailMinSeverity: AlertSeverity;
  readonly webhook?: { readonly url: string; readonly secret: string; readonly minSeverity: AlertSeverity; readonly guard: AddressGuard; readonly caPem: string | null; readonly timeoutMs?: number } | undefined;
}

/** Attempts of one delivery before it is given up (the row keeps `failed_at` and the error code). */
export const ALERT_DELIVERY_MAX_ATTEMPTS = 8;
const RETRY = { baseMs: 30_000, maxMs: 30 * 60_000 };

/** The webhook body: ids, kind and severity; the alert's text stays in its organization. */
export function alertPayload(d: Pick<SecurityAlertDeliveriesTable, 'organization_id' | 'alert_id' | 'kind' | 'severity' | 'created_at'>): string {
  return JSON.stringify({ type: 'security_alert.raised', timestamp: d.created_at.toISOString(), data: { organization_id: d.organization_id, alert_id: d.alert_id, kind: d.kind, severity: d.severity } });
}

/**
 * Sends the queued deliveries of new alerts: mail through the mailer (its delivery is the mailer's
 * record, linked by `mail_id`), the webhook signed per Standard Webhooks (`webhook-id` is the
 * row's id on every retry) through the audit streams' address guard, retried with capped backoff
 * and jitter. Each row is claimed per attempt by a conditional update, so two nodes never send one
 * twice. Returns how many were due.
 */
export function createAlertDelivery(deps: { transactor: AppTransactor; clock: Clock; random: Random; logger: Logger; routes: AlertRoutes; mail: Pick<Mailer, 'prepare' | 'send'> }) {
  const { transactor, clock, random, logger, routes } = deps;
  const inPlatform = <T>(fn: (tx: Tx) => Promise<T>) => transactor.withTenant(PLATFORM_TENANT_ID, fn);
  return {
    deliver: async (): Promise<number> => {
      const now = clock.now();
      const due = await inPlatform((tx) =>
        tx.selectFrom('security_alert_deliveries').selectAll().where('delivered_at', 'is', null).where('failed_at', 'is', null).where('next_attempt_at', '<=', now).orderBy('next_attempt_at').limit(50).execute(),
      );
      for (const d of due) {
        const claimed = await inPlatform((tx) =>
          tx.updateTable('security_alert_deliveries').set({ attempts: d.attempts + 1, next_attempt_at: new Date(now.getTime() + retryDelayMs(d.attempts + 1, random, RETRY)) }).where('id', '=', d.id).where('attempts', '=', d.attempts).where('delivered_at', 'is', null).returning('id').executeTakeFirst(),
        );
        if (claimed === undefined) continue;
        try {
          if (d.channel === 'mail') {
            const occurrences = (await transactor.withTenant(d.organization_id, (tx) => tx.selectFrom('security_alerts').select('occurrences').where('tenant_id', '=', d.organization_id).where('id', '=', d.alert_id).executeTakeFirst()))?.occurrences ?? 1;
            const prepared = deps.mail.prepare(d.target, { kind: 'security_alert', alertKind: d.kind, severity: d.severity, organizationId: d.organization_id, alertId: d.alert_id, occurrences, raisedAt: d.created_at });
            deps.mail.send(prepared);
            await inPlatform((tx) => tx.updateTable('security_alert_deliveries').set({ delivered_at: clock.now(), mail_id: prepared.id, last_error: null }).where('id', '=', d.id).execute());
          } else {
            const hook = routes.webhook;
            if (hook === undefined || hook.url !== d.target) throw new DeliveryError('invalid_destination', 'the webhook is no longer configured');
            const body = alertPayload(d);
            await postWebhook({ url: hook.url, caPem: hook.caPem }, body, signWebhook(hook.secret, d.id, clock.now(), body), { guard: hook.guard, timeoutMs: hook.timeoutMs ?? 10_000 });
            await inPlatform((tx) => tx.updateTable('security_alert_deliveries').set({ delivered_at: clock.now(), last_error: null }).where('id', '=', d.id).execute());
          }
        } catch (error) {
          const code = error instanceof DeliveryError ? error.code : 'unreachable';
          logger.warn({ delivery: d.id, code, attempts: d.attempts + 1 }, 'security alert delivery failed');
          await inPlatform((tx) => tx.updateTable('security_alert_deliveries').set({ last_error: code, ...(d.attempts + 1 >= ALERT_DELIVERY_MAX_ATTEMPTS ? { failed_at: clock.now() } : {}) }).where('id', '=', d.id).execute());
        }
      }
      return due.length;
    },
    pendingCount: async () => Number((await inPlatform((tx) => tx.selectFrom('security_alert_deliveries').select((eb) => eb.fn.countAll().as('n')).where('delivered_at', 'is', null).where('failed_at', 'is', null).executeTakeFirst()))?.n ?? 0),
    /** The deliveries of one alert (what was sent where, and whether it arrived). */
    ofAlert: (tenantId: string, alertId: string) => inPlatform((tx) => tx.selectFrom('security_alert_deliveries').selectAll().where('organization_id', '=', tenantId).where('alert_id', '=', alertId).orderBy('created_at').execute()),
  };
}

export type AlertDelivery = ReturnType<typeof createAlertDelivery>;
