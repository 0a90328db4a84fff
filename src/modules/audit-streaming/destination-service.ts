import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { uuidv7, type Random } from '../../platform/crypto/random.ts';
import type { FieldEncryption } from '../keys/index.ts';
import { conflictOnDuplicate } from '../../platform/db/index.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { AuditAction } from '../audit/index.ts';
import type { AuditContext } from '../audit/index.ts';
import type { AuditRecorder } from '../audit/index.ts';
import { toDeliveryError } from './delivery-error.ts';
import { checkCaPem, checkHost, checkWebhookUrl } from './destination-input.ts';
import * as store from './destination-store.ts';
import type { AddressGuard } from './network-guard.ts';
import type { Sender } from './sender.ts';
import type { DestinationKind, StreamFormat } from './streaming-tables.ts';
import { newWebhookSecret } from './webhook-signature.ts';
import { auditReads } from '../audit/index.ts';

/** Actions this module records; to be added to the catalogue in ../actions.ts. */
type StreamingAction = 'audit.destination_created' | 'audit.destination_updated' | 'audit.destination_deleted';
const action = (name: StreamingAction) => name as string as AuditAction;

export interface NewDestination {
  readonly kind: DestinationKind;
  readonly name: string;
  readonly format: StreamFormat;
  readonly host?: string;
  readonly port?: number;
  readonly url?: string;
  readonly caPem?: string;
  readonly enabled: boolean;
  /** `now`: only events from here on; `beginning`: everything still retained. */
  readonly start: 'now' | 'beginning';
}

export interface DestinationChanges {
  readonly name?: string;
  readonly format?: StreamFormat;
  readonly enabled?: boolean;
  readonly host?: string;
  readonly port?: number;
  readonly url?: string;
  readonly caPem?: string | null;
}

export interface DestinationService {
  /** Creates a destination; a webhook's signing secret is returned here and never again. */
  create(ctx: AuditContext, tenantId: string, input: NewDestination): Promise<{ destination: store.DestinationWithCursor; secret: string | null }>;
  list(tenantId: string, page: { after: string | undefined; limit: number }): Promise<store.DestinationWithCursor[]>;
  get(tenantId: string, id: string): Promise<store.DestinationWithCursor>;
  update(ctx: AuditContext, tenantId: string, id: string, changes: DestinationChanges): Promise<store.DestinationWithCursor>;
  remove(ctx: AuditContext, tenantId: string, id: string): Promise<void>;
  /** Sends one test message now; the cursor does not move. */
  test(tenantId: string, id: string): Promise<{ delivered: boolean; error: string | null }>;
}

function found<T>(row: T | undefined): T {
  if (row === undefined) throw new AppError('not_found');
  return row;
}

/** Audit destinations of an organization (AUD-5). Callers authorize first; every call runs in the tenant's transaction. */
export function createDestinationService(deps: { transactor: AppTransactor; clock: Clock; random: Random; fields: FieldEncryption; audit: AuditRecorder; send: Sender; guard: AddressGuard }): DestinationService {
  const { transactor, clock, random } = deps;

  function record(tx: Tx, ctx: AuditContext, tenantId: string, name: StreamingAction, destination: { id: string; name: string }, metadata: Record<string, string | boolean>) {
    return deps.audit.record(tx, tenantId, { action: action(name), actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [{ type: 'audit_destination', id: destination.id, name: destination.name }], metadata });
  }

  return {
    create: async (ctx, tenantId, input) => {
      const id = uuidv7(clock, random);
      const now = clock.now();
      const target =
        input.kind === 'syslog'
          ? { host: await checkHost(input.host ?? '', deps.guard), port: input.port ?? 6514, url: null, secret: null }
          : { host: null, port: null, url: await checkWebhookUrl(input.url ?? '', deps.guard), secret: newWebhookSecret(random) };
      const caPem = input.caPem === undefined ? null : checkCaPem(input.caPem);
      // Encrypted before the transaction opens: field encryption may open its own to load the tenant key.
      const secretSealed = target.secret === null ? null : await deps.fields.encryptField(store.secretFieldContext(tenantId, id), target.secret);
      const destination = await conflictOnDuplicate('A destination with this name already exists.', () =>
        transactor.withTenant(tenantId, async (tx) => {
          const start = input.start === 'beginning' ? 0 : await auditReads.treeSize(tx, tenantId);
          await store.insertDestination(
            tx,
            {
              tenant_id: tenantId, id, kind: input.kind, format: input.format, name: input.name, host: target.host, port: target.port, url: target.url, ca_pem: caPem,
              secret_sealed: secretSealed,
              enabled: input.enabled, created_at: now, updated_at: now,
            },
            { tenant_id: tenantId, destination_id: id, next_seq: start, last_checkpoint_size: start, attempts: 0, next_attempt_at: now, last_error: null, last_delivered_at: null },
          );
          await record(tx, ctx, tenantId, 'audit.destination_created', { id, name: input.name }, { kind: input.kind, format: input.format, start: input.start });
          return found(await store.getDestination(tx, tenantId, id));
        }, ctx.userId),
      );
      return { destination, secret: target.secret };
    },

    list: (tenantId, page) => transactor.withTenant(tenantId, (tx) => store.listDestinations(tx, tenantId, page.after, page.limit)),

    get: (tenantId, id) => transactor.withTenant(tenantId, async (tx) => found(await store.getDestination(tx, tenantId, id))),

    update: async (ctx, tenantId, id, changes) => {
      // Checked (and resolved) before the transaction opens: DNS does not hold a connection.
      const host = changes.host === undefined ? undefined : await checkHost(changes.host, deps.guard);
      const url = changes.url === undefined ? undefined : await checkWebhookUrl(changes.url, deps.guard);
      return conflictOnDuplicate('A destination with this name already exists.', () =>
        transactor.withTenant(tenantId, async (tx) => {
          const current = found(await store.getDestination(tx, tenantId, id));
          const syslogOnly = changes.host !== undefined || changes.port !== undefined;
          if ((current.kind === 'syslog' && changes.url !== undefined) || (current.kind === 'webhook' && syslogOnly)) {
            throw new AppError('invalid_request', { detail: `A ${current.kind} destination has no such field.` });
          }
          const now = clock.now();
          await store.updateDestination(tx, tenantId, id, {
            updated_at: now,
            ...(changes.name === undefined ? {} : { name: changes.name }),
            ...(changes.format === undefined ? {} : { format: changes.format }),
            ...(changes.enabled === undefined ? {} : { enabled: changes.enabled }),
            ...(host === undefined ? {} : { host }),
            ...(changes.port === undefined ? {} : { port: changes.port }),
            ...(url === undefined ? {} : { url }),
            ...(changes.caPem === undefined ? {} : { ca_pem: changes.caPem === null ? null : checkCaPem(changes.caPem) }),
          });
          // A new target or a re-enabled destination is tried at once, not after a stale backoff.
          if (changes.enabled === true || syslogOnly || changes.url !== undefined || changes.caPem !== undefined) await store.resetBackoff(tx, tenantId, id, now);
          const fields = Object.keys(changes).map((k) => (k === 'caPem' ? 'ca_pem' : k)).sort().join(',');
          await record(tx, ctx, tenantId, 'audit.destination_updated', { id, name: changes.name ?? current.name }, { fields, ...(changes.enabled === undefined ? {} : { enabled: changes.enabled }) });
          return found(await store.getDestination(tx, tenantId, id));
        }, ctx.userId),
      );
    },

    remove: (ctx, tenantId, id) =>
      transactor.withTenant(tenantId, async (tx) => {
        const deleted = found(await store.deleteDestination(tx, tenantId, id));
        await record(tx, ctx, tenantId, 'audit.destination_deleted', deleted, { kind: deleted.kind });
      }, ctx.userId),

    test: async (tenantId, id) => {
      const row = await transactor.withTenant(tenantId, async (tx) => found(await store.getDestination(tx, tenantId, id)));
      const secret = row.secret_sealed === null ? null : await deps.fields.decryptField(store.secretFieldContext(tenantId, row.id), row.secret_sealed);
      const sentAt = clock.now().toISOString();
      try {
        await deps.send(
          { kind: row.kind, host: row.host, port: row.port, url: row.url, caPem: row.ca_pem, secret },
          { tenantId, destinationId: id, format: row.format, id: `test_${uuidv7(clock, random).replaceAll('-', '')}`, records: [{ type: 'test', sent_at: sentAt }] },
        );
        return { delivered: true, error: null };
      } catch (caught) {
        const error = toDeliveryError(caught);
        return { delivered: false, error: `${error.code}: ${error.message}` };
      }
    },
  };
}
