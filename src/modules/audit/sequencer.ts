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
  /** Tenants sequenced at the same time in one pass, each in its own transaction. */
  readonly concurrency: number;
}

export const DEFAULT_SEQUENCER_OPTIONS: SequencerOptions = { batchSize: 1000, checkpointIntervalMs: 1000, checkpointEvery: 1000, maxTenantsPerPass: 500, concurrency: 3 };

export interface Sequencer {
  /** Moves pending inbox rows of one tenant into its log, signing a checkpoint when one is due; returns how many. */
  sequenceTenant(tenantId: string): Promise<number>;
  /** Signs a checkpoint of the tenant's current head if it grew since the last one. */
  checkpointTenant(tenantId: string, force?: boolean): Promise<boolean>;
  /** One pass over every tenant with pending events; returns how many events were sequenced. */
  runOnce(): Promise<number>;
  /** Sequences until the inbox is empty and checkpoints every tenant touched (tests, shutdown). */
  drain(): Promise<number>;
  /** Milliseconds until a log that grew without a checkpoint is due one; undefined when none waits. */
  nextCheckpointInMs(): number | undefined;
}

const toNumber = (value: string | number | bigint): number => Number(value);

/** What the sequencer knows of a tenant's log after its own last commit there. */
interface TenantState {
  size: number;
  root: Uint8Array;
  /** The newest checkpoint this sequencer signed or saw, if any. */
  signed: { size: number; at: number } | undefined;
}

/** A PostgreSQL array literal of text elements, for one row's `text[]` inside an `unnest` of text. */
function textArrayLiteral(items: readonly string[]): string {
  return `{${items.map((item) => `"${item.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}

/**
 * The inbox → log sequencer (AUD-2). It assigns each tenant a gapless `seq`, stores each event's
 * RFC 8785 bytes verbatim, extends the tenant's RFC 6962 tree (persisting every completed perfect
 * subtree above the leaves; a leaf's hash is `audit_events.leaf_hash`), and signs C2SP checkpoints.
 * Appends serialise on the tenant's head row (locked by the upsert), and inbox rows are claimed
 * with `skip locked`, so two sequencers can never assign a seq twice or leave a gap.
 *
 * Round trips are what it spends its time on (docs/benchmarks-audit.md), so one tenant batch is
 * one transaction of four statements: claim and delete the inbox rows, upsert and lock the head,
 * then one statement that inserts the events and tree nodes from arrays, signs a checkpoint when
 * one is due and updates the head. Whether a checkpoint is due is decided from memory.
 */
export function createSequencer(deps: {
  transactor: AppTransactor;
  clock: Clock;
  signer: AuditSigner;
  logger: Logger;
  options?: Partial<SequencerOptions>;
  /** Told after each commit that added events to a log (audit streaming waits for it). */
  onSequenced?: () => void;
}): Sequencer {
  const options = { ...DEFAULT_SEQUENCER_OPTIONS, ...deps.options };
  const { transactor, clock, signer } = deps;
  const tenants = new Map<string, TenantState>();
  /** Tenants whose log grew past their last checkpoint. */
  const unsigned = new Set<string>();

  function checkpointDue(state: TenantState | undefined, size: number, now: number): boolean {
    const signed = state?.signed;
    if (signed === undefined) return true;
    if (signed.size >= size) return false;
    return size - signed.size >= options.checkpointEvery || now - signed.at >= options.checkpointIntervalMs;
  }

  function remember(tenantId: string, size: number, root: Uint8Array, signed: TenantState['signed']): void {
    const state = tenants.get(tenantId);
    // Another sequencer may have moved the log further meanwhile; keep the larger head.
    const head = state !== undefined && state.size > size ? { size: state.size, root: state.root } : { size, root };
    const newest = state?.signed !== undefined && (signed === undefined || state.signed.size > signed.size) ? state.signed : signed;
    tenants.set(tenantId, { ...head, signed: newest });
    if (newest === undefined || newest.size < head.size) unsigned.add(tenantId);
    else unsigned.delete(tenantId);
  }

  function checkpointRow(tenantId: string, size: number, root: Uint8Array, now: Date) {
    const note = signNote(formatCheckpoint({ origin: signer.origin(tenantId), size, root }), signer.signer);
    return { tenant_id: tenantId, size, kind: 'regular' as const, root: Buffer.from(root), note, key_id: signer.signer.keyId, created_at: now };
  }

  async function sequenceTenant(tenantId: string): Promise<number> {
    const done = await transactor.withTenant(tenantId, async (tx) => {
      // Claim and delete in one statement; rows another sequencer holds are skipped, and a
      // rollback puts them back.
      const claimed = await sql<{ id: string; event: unknown }>`
        with claimed as (
          delete from audit_inbox where tenant_id = ${tenantId} and id in (
            select id from audit_inbox where tenant_id = ${tenantId} order by id limit ${options.batchSize} for update skip locked)
          returning id, event)
        select id, event from claimed order by id`.execute(tx);
      const rows = claimed.rows;
      if (rows.length === 0) return undefined;
      const now = clock.now();
      // Creates the head on first use and locks it: appends to one log serialise here.
      const head = await sql<{ size: string | number; frontier: Uint8Array[] }>`
        insert into audit_tree_heads (tenant_id, size, root, frontier, first_seq, updated_at)
        values (${tenantId}, 0, ${Buffer.from(emptyRoot())}, '{}', 0, ${now})
        on conflict (tenant_id) do update set updated_at = excluded.updated_at
        returning size, frontier`.execute(tx);
      const locked = head.rows[0];
      if (locked === undefined) throw new Error('audit tree head not returned');
      let size = toNumber(locked.size);
      let frontier: Uint8Array[] = locked.frontier.map((h) => Buffer.from(h));
      const recordedAt = now.toISOString();
      const e = { seq: [] as number[], id: [] as string[], occurredAt: [] as string[], action: [] as string[], actorType: [] as string[], actorId: [] as (string | null)[], outcome: [] as string[], ip: [] as (string | null)[], targets: [] as string[], canonical: [] as Buffer[], leaf: [] as Buffer[] };
      const n = { level: [] as number[], index: [] as number[], hash: [] as Buffer[] };
      for (const row of rows) {
        const pending = (typeof row.event === 'string' ? JSON.parse(row.event) : row.event) as PendingAuditEvent;
        const event: AuditEvent = { ...pending, seq: size, recorded_at: recordedAt };
        const canonical = canonicalJson(event);
        const leaf = leafHash(canonical);
        const appended = appendLeaf(frontier, size, leaf);
        frontier = appended.frontier;
        // Level 0 is the leaf hash, stored once in audit_events; proofs read it there.
        for (const node of appended.newNodes) {
          if (node.level === 0) continue;
          n.level.push(node.level);
          n.index.push(node.index);
          n.hash.push(Buffer.from(node.hash));
        }
        e.seq.push(size);
        e.id.push(event.id);
        e.occurredAt.push(event.occurred_at);
        e.action.push(event.action);
        e.actorType.push(event.actor.type);
        e.actorId.push(event.actor.id);
        e.outcome.push(event.outcome);
        e.ip.push(event.source.ip);
        e.targets.push(textArrayLiteral(event.targets.map((t) => t.id)));
        e.canonical.push(Buffer.from(canonical));
        e.leaf.push(Buffer.from(leaf));
        size++;
      }
      const root = frontierRoot(frontier);
      const state = tenants.get(tenantId);
      const checkpoint = checkpointDue(state, size, now.getTime()) ? checkpointRow(tenantId, size, root, now) : undefined;
      // One statement for every write of the batch: events, nodes, the checkpoint, the head.
      await sql`
        with events as (
          insert into audit_events (tenant_id, seq, id, occurred_at, recorded_at, action, actor_type, actor_id, outcome, ip, target_ids, canonical, leaf_hash)
          select ${tenantId}::uuid, u.seq, u.id, u.occurred_at, ${now}::timestamptz, u.action, u.actor_type, u.actor_id, u.outcome, u.ip, u.targets::text[], u.canonical, u.leaf
          from unnest(${e.seq}::bigint[], ${e.id}::uuid[], ${e.occurredAt}::timestamptz[], ${e.action}::text[], ${e.actorType}::text[], ${e.actorId}::text[],
                      ${e.outcome}::text[], ${e.ip}::text[], ${e.targets}::text[], ${e.canonical}::bytea[], ${e.leaf}::bytea[])
            as u(seq, id, occurred_at, action, actor_type, actor_id, outcome, ip, targets, canonical, leaf)
        ), nodes as (
          insert into audit_tree_nodes (tenant_id, level, index, hash)
          select ${tenantId}::uuid, u.level, u.index, u.hash from unnest(${n.level}::smallint[], ${n.index}::bigint[], ${n.hash}::bytea[]) as u(level, index, hash)
        )${
          checkpoint === undefined
            ? sql``
            : sql`, checkpoint as (
          insert into audit_checkpoints (tenant_id, size, kind, root, note, key_id, created_at)
          values (${tenantId}, ${checkpoint.size}, 'regular', ${checkpoint.root}, ${checkpoint.note}, ${checkpoint.key_id}, ${now})
          on conflict (tenant_id, size, kind) do nothing
        )`
        }
        update audit_tree_heads set size = ${size}, root = ${Buffer.from(root)}, frontier = ${frontier.map((h) => Buffer.from(h))}, updated_at = ${now}
        where tenant_id = ${tenantId}`.execute(tx);
      return { count: rows.length, size, root, signed: checkpoint === undefined ? state?.signed : { size, at: now.getTime() } };
    });
    if (done === undefined) return 0;
    // Only after the commit: what the sequencer remembers must be in the database.
    remember(tenantId, done.size, done.root, done.signed);
    deps.onSequenced?.();
    return done.count;
  }

  /** Signs the head the sequencer last committed for a tenant, from memory: one insert. */
  async function checkpointFromMemory(tenantId: string): Promise<void> {
    const state = tenants.get(tenantId);
    if (state === undefined) return;
    const now = clock.now();
    const { size, root } = state;
    await transactor.withTenant(tenantId, (tx) =>
      tx.insertInto('audit_checkpoints').values(checkpointRow(tenantId, size, root, now)).onConflict((oc) => oc.columns(['tenant_id', 'size', 'kind']).doNothing()).execute(),
    );
    remember(tenantId, size, root, { size, at: now.getTime() });
  }

  async function checkpointTenant(tenantId: string, force = false): Promise<boolean> {
    const now = clock.now();
    const known = tenants.get(tenantId)?.signed;
    const signed = await transactor.withTenant(tenantId, async (tx) => {
      const head = await tx.selectFrom('audit_tree_heads').select(['size', 'root']).where('tenant_id', '=', tenantId).executeTakeFirst();
      if (head === undefined) return undefined;
      const size = toNumber(head.size);
      const previous = known ?? (await latestCheckpointSize(tx, tenantId));
      if (previous !== undefined && previous.size >= size) return undefined;
      const due = force || previous === undefined || size - previous.size >= options.checkpointEvery || now.getTime() - previous.at >= options.checkpointIntervalMs;
      if (!due) return undefined;
      await tx.insertInto('audit_checkpoints').values(checkpointRow(tenantId, size, head.root, now)).onConflict((oc) => oc.columns(['tenant_id', 'size', 'kind']).doNothing()).execute();
      return { size, root: head.root };
    });
    if (signed === undefined) return false;
    remember(tenantId, signed.size, signed.root, { size: signed.size, at: now.getTime() });
    return true;
  }

  async function latestCheckpointSize(tx: Tx, tenantId: string): Promise<{ at: number; size: number } | undefined> {
    const row = await tx.selectFrom('audit_checkpoints').select(['size', 'created_at']).where('tenant_id', '=', tenantId).orderBy('size', 'desc').limit(1).executeTakeFirst();
    return row === undefined ? undefined : { at: row.created_at.getTime(), size: toNumber(row.size) };
  }

  async function pendingTenants(): Promise<string[]> {
    return transactor.withJobs(async (tx) => {
      const result = await sql<{ tenant: string }>`select parapet_audit_pending_tenants(${options.maxTenantsPerPass}) as tenant`.execute(tx);
      return result.rows.map((row) => row.tenant);
    });
  }

  /** Runs `work` over `items`, at most `options.concurrency` at a time; rethrows the first failure after all settle. */
  async function each(items: readonly string[], work: (item: string) => Promise<number>): Promise<number> {
    let next = 0;
    let total = 0;
    const lanes = Array.from({ length: Math.max(1, Math.min(options.concurrency, items.length)) }, async () => {
      for (let item = items[next++]; item !== undefined; item = items[next++]) {
        const done = await work(item);
        total += done;
      }
    });
    const settled = await Promise.allSettled(lanes);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    return total;
  }

  /** Logs whose head a node that died left unsigned; signed on the first pass of a new leader. */
  let recovered = false;
  async function signLeftovers(): Promise<void> {
    const leftovers = await transactor.withJobs(async (tx) => (await sql<{ tenant: string }>`select parapet_audit_unsigned_tenants() as tenant`.execute(tx)).rows.map((row) => row.tenant));
    await each(leftovers, async (tenantId) => {
      await checkpointTenant(tenantId, true);
      return 0;
    });
    recovered = true;
  }

  async function runOnce(): Promise<number> {
    // AUD-2: every event must be covered by a signed checkpoint, including those a crashed node
    // committed in a batch too small to sign at once.
    if (!recovered) await signLeftovers();
    const total = await each(await pendingTenants(), sequenceTenant);
    // Logs that grew without a checkpoint since (the batch was small and recent) get one once
    // the interval has passed, so a checkpoint follows every event within about a second.
    const now = clock.now().getTime();
    const late = [...unsigned].filter((tenantId) => checkpointDue(tenants.get(tenantId), tenants.get(tenantId)?.size ?? 0, now));
    await each(late, async (tenantId) => {
      await checkpointFromMemory(tenantId);
      return 0;
    });
    return total;
  }

  return {
    sequenceTenant,
    checkpointTenant,
    runOnce,
    nextCheckpointInMs: () => {
      if (unsigned.size === 0) return undefined;
      const now = clock.now().getTime();
      let soonest = Number.POSITIVE_INFINITY;
      for (const tenantId of unsigned) {
        const at = tenants.get(tenantId)?.signed?.at;
        soonest = Math.min(soonest, at === undefined ? 0 : at + options.checkpointIntervalMs - now);
      }
      return Math.max(0, soonest);
    },
    drain: async () => {
      let total = 0;
      for (;;) {
        const moved = await runOnce();
        total += moved;
        if (moved === 0) break;
      }
      await each([...unsigned], async (tenantId) => {
        await checkpointFromMemory(tenantId);
        return 0;
      });
      return total;
    },
  };
}
