import type { AuditAction } from './actions.ts';
import type { AuditActor, AuditSource } from '../../platform/http/principal.ts';

export type { ActorType, AuditActor, AuditContext, AuditSource } from '../../platform/http/principal.ts';

/** The tenant id of the platform's own log (operators' and sign-in events not tied to one organization). */
export const PLATFORM_TENANT_ID = '00000000-0000-0000-0000-000000000000';

/** The event schema version written into every event as `v`. */
export const AUDIT_SCHEMA_VERSION = 1;

export type Outcome = 'success' | 'failure' | 'denied';

export interface AuditTarget {
  readonly type: string;
  readonly id: string;
  readonly name?: string;
}

/** What a writer supplies; id, time and schema version are added by the recorder. */
export interface AuditEventInput {
  readonly action: AuditAction;
  readonly actor: AuditActor;
  readonly targets?: readonly AuditTarget[];
  readonly outcome: Outcome;
  readonly source?: AuditSource;
  /** Small, non-secret JSON details. Never put credentials here: a canary test scans for them. */
  readonly metadata?: Readonly<Record<string, string | number | boolean | null>>;
  /** When it happened, if not now (events written later, like buffered API calls). */
  readonly occurredAt?: Date;
}

/** An event as stored in the inbox, before the sequencer assigns `seq` and `recorded_at`. */
export interface PendingAuditEvent {
  readonly v: number;
  readonly id: string;
  readonly tenant_id: string;
  readonly occurred_at: string;
  readonly actor: AuditActor;
  readonly action: AuditAction;
  readonly targets: readonly AuditTarget[];
  readonly outcome: Outcome;
  readonly source: { readonly ip: string | null; readonly user_agent: string | null };
  readonly request_id: string | null;
  readonly metadata: Readonly<Record<string, string | number | boolean | null>>;
}

/** A sequenced event: exactly the object whose RFC 8785 bytes are the Merkle leaf. */
export interface AuditEvent extends PendingAuditEvent {
  readonly seq: number;
  readonly recorded_at: string;
}

export const SYSTEM_ACTOR: AuditActor = { type: 'system', id: null, display_name: 'parapet' };

