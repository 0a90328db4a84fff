import type { Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { uuidv7, type Random } from '../../platform/crypto/random.ts';
import { AUDIT_SCHEMA_VERSION, type AuditEventInput, type PendingAuditEvent } from './audit-event.ts';

/** Records audit events into the inbox inside the caller's transaction (AUD-1). */
export interface AuditRecorder {
  /**
   * Inserts the event into `tenantId`'s inbox in `tx`, which must be that tenant's transaction:
   * the action and its record commit together or not at all. Returns the event id.
   */
  record(tx: Tx, tenantId: string, input: AuditEventInput): Promise<string>;
  /** Records several events with one INSERT. */
  recordMany(tx: Tx, tenantId: string, inputs: readonly AuditEventInput[]): Promise<void>;
}

export function createAuditRecorder(deps: { clock: Clock; random: Random }): AuditRecorder {
  function pending(tenantId: string, input: AuditEventInput): PendingAuditEvent {
    const id = uuidv7(deps.clock, deps.random);
    return {
        v: AUDIT_SCHEMA_VERSION,
        id,
        tenant_id: tenantId,
        occurred_at: (input.occurredAt ?? deps.clock.now()).toISOString(),
        actor: input.actor,
        action: input.action,
        targets: input.targets ?? [],
        outcome: input.outcome,
        source: { ip: input.source?.ip ?? null, user_agent: input.source?.user_agent?.slice(0, 512) ?? null },
        request_id: input.source?.request_id ?? null,
        metadata: input.metadata ?? {},
      };
  }
  return {
    record: async (tx, tenantId, input) => {
      const event = pending(tenantId, input);
      await tx.insertInto('audit_inbox').values({ tenant_id: tenantId, id: event.id, event: JSON.stringify(event) }).execute();
      return event.id;
    },
    recordMany: async (tx, tenantId, inputs) => {
      if (inputs.length === 0) return;
      const rows = inputs.map((input) => pending(tenantId, input)).map((event) => ({ tenant_id: tenantId, id: event.id, event: JSON.stringify(event) }));
      await tx.insertInto('audit_inbox').values(rows).execute();
    },
  };
}
