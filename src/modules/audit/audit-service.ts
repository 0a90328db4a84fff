import type { AppTransactor, Tx } from '../../database.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { AuditEvent } from './audit-event.ts';
import type { AuditSigner } from './audit-signer.ts';
import * as store from './audit-store.ts';
import { consistencyProof, inclusionProof } from './log/index.ts';

export interface InclusionProofResult {
  readonly event: AuditEvent;
  readonly canonical: Uint8Array;
  readonly leafHash: Uint8Array;
  readonly treeSize: number;
  readonly auditPath: Uint8Array[];
  readonly checkpoint: string;
}

/** Decodes stored canonical bytes: what the API returns is exactly what the Merkle leaf hashes. */
export function decodeEvent(row: { canonical: Uint8Array }): AuditEvent {
  return JSON.parse(Buffer.from(row.canonical).toString('utf8')) as AuditEvent;
}

function nodeReader(tx: Tx, tenantId: string) {
  return async (level: number, index: number): Promise<Uint8Array> => {
    const hash = await store.treeNode(tx, tenantId, level, index);
    if (hash === undefined) throw new Error(`audit tree node (${level}, ${index}) missing`);
    return hash;
  };
}

/**
 * Reading the audit log (AUD-4) and proving it (AUD-2). Authorization happens in the caller; every
 * query runs in the tenant's own transaction.
 */
export function createAuditService(deps: { transactor: AppTransactor; signer: AuditSigner }) {
  const { transactor } = deps;
  return {
    list: (tenantId: string, filter: store.AuditFilter, beforeSeq: number | undefined, limit: number) =>
      transactor.withTenant(tenantId, (tx) => store.listEvents(tx, tenantId, filter, beforeSeq, limit)),

    get: async (tenantId: string, eventId: string) => {
      const row = await transactor.withTenant(tenantId, (tx) => store.findEvent(tx, tenantId, eventId));
      if (row === undefined) throw new AppError('not_found');
      return row;
    },

    /** RFC 9162 §2.1.3 inclusion proof of one event in a signed checkpoint (the newest, or of `size`). */
    proveInclusion: (tenantId: string, eventId: string, size?: number): Promise<InclusionProofResult> =>
      transactor.withTenant(tenantId, async (tx) => {
        const row = await store.findEvent(tx, tenantId, eventId);
        if (row === undefined) throw new AppError('not_found');
        const seq = Number(row.seq);
        const checkpoint = await store.checkpointCovering(tx, tenantId, seq, size);
        if (checkpoint === undefined || Number(checkpoint.size) <= seq) {
          throw new AppError('conflict', { detail: 'The event is not yet covered by a signed checkpoint; retry in a second.' });
        }
        const treeSize = Number(checkpoint.size);
        return {
          event: decodeEvent(row),
          canonical: row.canonical,
          leafHash: row.leaf_hash,
          treeSize,
          auditPath: await inclusionProof(seq, treeSize, nodeReader(tx, tenantId)),
          checkpoint: checkpoint.note,
        };
      }),

    /** RFC 9162 §2.1.4 consistency proof between two signed checkpoints. */
    proveConsistency: (tenantId: string, fromSize: number, toSize: number) =>
      transactor.withTenant(tenantId, async (tx) => {
        const older = await tx.selectFrom('audit_checkpoints').select('note').where('tenant_id', '=', tenantId).where('size', '=', fromSize).where('kind', '=', 'regular').executeTakeFirst();
        const newer = await tx.selectFrom('audit_checkpoints').select('note').where('tenant_id', '=', tenantId).where('size', '=', toSize).where('kind', '=', 'regular').executeTakeFirst();
        if (older === undefined || newer === undefined) throw new AppError('not_found', { detail: 'Both sizes must be signed checkpoints.' });
        if (fromSize > toSize) throw new AppError('invalid_request', { detail: '`from` must not exceed `to`.' });
        return { from: older.note, to: newer.note, proof: await consistencyProof(fromSize, toSize, nodeReader(tx, tenantId)) };
      }),

    /**
     * What a witness needs (C2SP tlog-witness, pulled rather than pushed): the newest signed
     * checkpoint and an RFC 9162 consistency proof to it from the size the witness holds. A log
     * smaller than `oldSize` gets no proof; the witness reports that it shrank.
     */
    witness: (tenantId: string, oldSize: number) =>
      transactor.withTenant(tenantId, async (tx) => {
        const newest = await tx.selectFrom('audit_checkpoints').select(['size', 'note']).where('tenant_id', '=', tenantId).where('kind', '=', 'regular').orderBy('size', 'desc').limit(1).executeTakeFirst();
        if (newest === undefined) throw new AppError('not_found', { detail: 'The log has no signed checkpoint yet.' });
        const size = Number(newest.size);
        return { checkpoint: newest.note, size, proof: oldSize <= size ? await consistencyProof(oldSize, size, nodeReader(tx, tenantId)) : [] };
      }),

    verifierKeys: () => deps.signer.verifierKeys,

    checkpoints: (tenantId: string) => transactor.withTenant(tenantId, (tx) => store.checkpoints(tx, tenantId)),

    verifierKey: () => deps.signer.verifierKey,
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
