import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import type { AuditEvent, PendingAuditEvent } from './audit-event.ts';
import type { AuditSigner } from './audit-signer.ts';
import { appendLeaf, canonicalJson, emptyRoot, formatCheckpoint, frontierRoot, leafHash, signNote } from './log/index.ts';

export interface SequencerOptions {
  /** Inbox rows moved per tenant per transaction. */
  readonly batchSize: number;
  /** A checkpoint is signed at least this often while a tenant's log grows… */
  readonly checkpointIntervalMs: number;
  /** …and whenever this many events were added since the last one. */
  readonly checkpointEvery: number;
  readonly maxTenantsPerPass: number;
}

export const DEFAULT_SEQUENCER_OPTIONS: SequencerOptions = { batchSize: 1000, checkpointIntervalMs: 1000, checkpointEvery: 1000, maxTenantsPerPass: 500 };

export interface Sequencer {
  /** Moves pending inbox rows of one tenant into its log; returns how many. */
  sequenceTenant(tenantId: string): Promise<number>;
  /** Signs a checkpoint of the tenant's current head if it grew since the last one. */
  checkpointTenant(tenantId: string, force?: boolean): Promise<boolean>;
  /** One pass over every tenant with pending events; returns how many events were sequenced. */
  runOnce(): Promise<number>;
  /** Sequences until the inbox is empty and checkpoints every tenant touched (tests, shutdown). */
  drain(): Promise<number>;
}

const toNumber = (value: string | number | bigint): number => Number(value);

interface Head {
  size: number;
  frontier: Uint8Array[];
}

async function lockHead(tx: Tx, tenantId: string, now: Date): Promise<Head> {
  await tx
    .insertInto('audit_tree_heads')
    .values({ tenant_id: tenantId, size: 0, root: emptyRoot(), frontier: [], first_seq: 0, updated_at: now })
    .onConflict((oc) => oc.column('tenant_id').doNothing())
    .execute();
  const head = await tx.selectFrom('audit_tree_heads').select(['size', 'frontier']).where('tenant_id', '=', tenantId).forUpdate().executeTakeFirstOrThrow();
  return { size: toNumber(head.size), frontier: head.frontier.map((h) => Buffer.from(h)) };
}

/**
 * The inbox → log sequencer (AUD-2). It assigns each tenant a gapless `seq`, stores each event's
 * RFC 8785 bytes verbatim, extends the tenant's RFC 6962 tree (persisting every completed perfect
 * subtree), and signs C2SP checkpoints. Appends serialise on the tenant's head row (`for update`),
 * and inbox rows are claimed with `skip locked`, so two sequencers can never assign a seq twice
 * or leave a gap.
 */
export function createSequencer(deps: { transactor: AppTransactor; clock: Clock; signer: AuditSigner; logger: Logger; options?: Partial<SequencerOptions> }): Sequencer {
  const options = { ...DEFAULT_SEQUENCER_OPTIONS, ...deps.options };
  const { transactor, clock } = deps;
  const lastCheckpoint = new Map<string, { at: number; size: number }>();

  async function sequenceTenant(tenantId: string): Promise<number> {
    return transactor.withTenant(tenantId, async (tx) => {
      const rows = await tx
        .selectFrom('audit_inbox')
        .select(['id', 'event'])
        .where('tenant_id', '=', tenantId)
        .orderBy('id')
        .limit(options.batchSize)
        .forUpdate()
        .skipLocked()
        .execute();
      if (rows.length === 0) return 0;
      const now = clock.now();
      const head = await lockHead(tx, tenantId, now);
      let { size, frontier } = head;
      const recordedAt = now.toISOString();
      const events = [];
      const nodes = [];
      for (const row of rows) {
        const pending = (typeof row.event === 'string' ? JSON.parse(row.event) : row.event) as PendingAuditEvent;
        const event: AuditEvent = { ...pending, seq: size, recorded_at: recordedAt };
        const canonical = canonicalJson(event);
        const leaf = leafHash(canonical);
        const appended = appendLeaf(frontier, size, leaf);
        frontier = appended.frontier;
        for (const node of appended.newNodes) nodes.push({ tenant_id: tenantId, level: node.level, index: node.index, hash: Buffer.from(node.hash) });
        events.push({
          tenant_id: tenantId,
          seq: size,
          id: event.id,
          occurred_at: new Date(event.occurred_at),
          recorded_at: now,
          action: event.action,
          actor_type: event.actor.type,
          actor_id: event.actor.id,
          outcome: event.outcome,
          ip: event.source.ip,
          target_ids: event.targets.map((t) => t.id),
          canonical: Buffer.from(canonical),
          leaf_hash: Buffer.from(leaf),
        });
        size++;
      }
      await tx.insertInto('audit_events').values(events).execute();
      for (let i = 0; i < nodes.length; i += 2000) await tx.insertInto('audit_tree_nodes').values(nodes.slice(i, i + 2000)).execute();
      await tx.deleteFrom('audit_inbox').where('tenant_id', '=', tenantId).where('id', 'in', rows.map((r) => r.id)).execute();
      await tx
        .updateTable('audit_tree_heads')
        .set({ size, root: Buffer.from(frontierRoot(frontier)), frontier: frontier.map((h) => Buffer.from(h)), updated_at: now })
        .where('tenant_id', '=', tenantId)
        .execute();
      return rows.length;
    });
  }

  async function checkpointTenant(tenantId: string, force = false): Promise<boolean> {
    const now = clock.now();
    const last = lastCheckpoint.get(tenantId);
    return transactor.withTenant(tenantId, async (tx) => {
      const head = await tx.selectFrom('audit_tree_heads').select(['size', 'root']).where('tenant_id', '=', tenantId).executeTakeFirst();
      if (head === undefined) return false;
      const size = toNumber(head.size);
      const previous = last ?? (await latestCheckpointSize(tx, tenantId));
      if (previous !== undefined && previous.size >= size) return false;
      const due = force || previous === undefined || size - previous.size >= options.checkpointEvery || now.getTime() - previous.at >= options.checkpointIntervalMs;
      if (!due) return false;
      const body = formatCheckpoint({ origin: deps.signer.origin(tenantId), size, root: head.root });
      const note = signNote(body, deps.signer.signer);
      await tx
        .insertInto('audit_checkpoints')
        .values({ tenant_id: tenantId, size, kind: 'regular', root: Buffer.from(head.root), note, key_id: deps.signer.signer.keyId, created_at: now })
        .onConflict((oc) => oc.columns(['tenant_id', 'size', 'kind']).doNothing())
        .execute();
      lastCheckpoint.set(tenantId, { at: now.getTime(), size });
      return true;
    });
  }

  async function latestCheckpointSize(tx: Tx, tenantId: string): Promise<{ at: number; size: number } | undefined> {
    const row = await tx.selectFrom('audit_checkpoints').select(['size', 'created_at']).where('tenant_id', '=', tenantId).orderBy('size', 'desc').limit(1).executeTakeFirst();
    return row === undefined ? undefined : { at: row.created_at.getTime(), size: toNumber(row.size) };
  }

  async function pendingTenants(): Promise<string[]> {
    return transactor.withPlatform(async (tx) => {
      const result = await sql<{ tenant: string }>`select parapet_audit_pending_tenants(${options.maxTenantsPerPass}) as tenant`.execute(tx);
      return result.rows.map((row) => row.tenant);
    });
  }

  const touched = new Set<string>();

  async function runOnce(): Promise<number> {
    let total = 0;
    for (const tenantId of await pendingTenants()) {
      total += await sequenceTenant(tenantId);
      touched.add(tenantId);
    }
    for (const tenantId of [...touched]) {
      await checkpointTenant(tenantId);
      const last = lastCheckpoint.get(tenantId);
      if (last !== undefined && clock.now().getTime() - last.at > 10 * options.checkpointIntervalMs) touched.delete(tenantId);
    }
    return total;
  }

  return {
    sequenceTenant,
    checkpointTenant,
    runOnce,
    drain: async () => {
      let total = 0;
      for (;;) {
        const moved = await runOnce();
        total += moved;
        if (moved === 0) break;
      }
      for (const tenantId of touched) await checkpointTenant(tenantId, true);
      return total;
    },
  };
}
