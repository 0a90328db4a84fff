import { sql } from 'kysely';
import type { Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { uuidv7, type Random } from '../../platform/crypto/random.ts';
import { AUDIT_SCHEMA_VERSION, PLATFORM_TENANT_ID, type AuditEventInput, type PendingAuditEvent } from './audit-event.ts';

/** Records audit events into the inbox inside the caller's transaction (AUD-1). */
export interface AuditRecorder {
  /**
   * Inserts the event into `tenantId`'s inbox in `tx`, which must be that tenant's transaction:
   * the action and its record commit together or not at all. Returns the event id.
   */
  record(tx: Tx, tenantId: string, input: AuditEventInput): Promise<string>;
  /** Records several events with one INSERT. */
  recordMany(tx: Tx, tenantId: string, inputs: readonly AuditEventInput[]): Promise<void>;
  /**
   * Records events about a user's own account (sign-in, failures, lockout, session end, credential
   * changes) in the platform log and in the log of each organization `userId` belongs to — one
   * statement, in `tx`, which must be the platform log's transaction. `userId` null (an unknown
   * account) writes the platform log only, through the same statement. The organizations' copies
   * carry `metadata` only; `platformMetadata` (anything that could name another organization, or
   * reveal membership elsewhere) goes to the platform copy alone.
   */
  recordForUser(tx: Tx, userId: string | null, inputs: readonly UserAuditEventInput[]): Promise<void>;
  /**
   * Calls `observer` with each event of `action` recorded from now on, in the recording
   * transaction, after the event's insert (`recordForUser`: once, for the platform copy). Modules
   * that act on what is recorded (the alerts module's rules, IR-5) subscribe at creation.
   */
  observe(action: AuditEventInput['action'], observer: AuditObserver): void;
}

/** Told of a recorded event inside its transaction; a throw fails the recording transaction. */
export type AuditObserver = (tx: Tx, tenantId: string, input: AuditEventInput) => Promise<void>;

/** An event about a user's account; `platformMetadata` stays out of the organizations' copies. */
export interface UserAuditEventInput extends AuditEventInput {
  readonly platformMetadata?: Readonly<Record<string, string | number | boolean | null>>;
}

export function createAuditRecorder(deps: {
  clock: Clock;
  random: Random;
  /** Told of every write, with its transaction (the module announces work to the sequencer after the commit). */
  onRecorded?: (tx: Tx) => void;
}): AuditRecorder {
  function pending(tenantId: string, input: AuditEventInput, random: Random = deps.random): PendingAuditEvent {
    const id = uuidv7(deps.clock, random);
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
  const observers = new Map<string, AuditObserver[]>();
  async function notify(tx: Tx, tenantId: string, inputs: readonly AuditEventInput[]): Promise<void> {
    if (observers.size === 0) return;
    for (const input of inputs) for (const observer of observers.get(input.action) ?? []) await observer(tx, tenantId, input);
  }
  function idsRandom(count: number): Random {
    // The ids' random bits in one read, not one per event.
    const bytes = deps.random(16 * count);
    let offset = 0;
    return (n) => bytes.subarray(offset, (offset += n));
  }
  return {
    observe: (action, observer) => {
      observers.set(action, [...(observers.get(action) ?? []), observer]);
    },
    record: async (tx, tenantId, input) => {
      const event = pending(tenantId, input);
      await tx.insertInto('audit_inbox').values({ tenant_id: tenantId, id: event.id, event: JSON.stringify(event) }).execute();
      deps.onRecorded?.(tx);
      await notify(tx, tenantId, [input]);
      return event.id;
    },
    recordMany: async (tx, tenantId, inputs) => {
      if (inputs.length === 0) return;
      const random = idsRandom(inputs.length);
      const events = inputs.map((input) => pending(tenantId, input, random));
      // One parameter (a JSON array) instead of three per row: cheaper to build, send and bind,
      // and no limit on the batch from the protocol's 65,535 parameters. Row-level security's
      // WITH CHECK applies to every row inserted, as with VALUES.
      await sql`insert into audit_inbox (tenant_id, id, event) select ${tenantId}::uuid, (e->>'id')::uuid, e from jsonb_array_elements(${JSON.stringify(events)}::jsonb) as e`.execute(tx);
      deps.onRecorded?.(tx);
      await notify(tx, tenantId, inputs);
    },
    recordForUser: async (tx, userId, inputs) => {
      if (inputs.length === 0) return;
      const random = idsRandom(inputs.length);
      // `pending` takes the named fields only, so `platformMetadata` stays out of the shared copy.
      const shared = inputs.map((input) => pending(PLATFORM_TENANT_ID, input, random));
      const platform = shared.map((event, i) => {
        const extra = inputs[i]?.platformMetadata;
        return extra === undefined ? event : { ...event, metadata: { ...event.metadata, ...extra } };
      });
      // The same statement whether or not the account exists (ASVS 6.3.8: no timing difference of
      // our making); the copies' ids and tenant ids are set by the function, migration 0024.
      await sql`select parapet_audit_record_for_member(${userId}::uuid, ${JSON.stringify(platform)}::jsonb, ${JSON.stringify(shared)}::jsonb)`.execute(tx);
      deps.onRecorded?.(tx);
      await notify(tx, PLATFORM_TENANT_ID, inputs);
    },
  };
}
