import type { AppTransactor } from '../../../database.ts';
import * as store from '../audit-store.ts';
import { consistencyProof, openNote, parseCheckpoint, verifyConsistency, type NoteVerifier } from '../log/index.ts';
import type { StoredCheckpoint } from './checkpoint-store.ts';
import type { Damage, ProvedCheckpoint } from './log-verifier.ts';

/**
 * Checks that the log, as just proved up to `proved`, extends the checkpoint proved before
 * (AUD-2): a log that shrank since, or whose tree at the remembered size has another root (a
 * rewritten or forked history), is damage. The proof's hashes come from the database, but they
 * are checked against two roots that do not: the remembered one and the one just recomputed.
 */
export async function checkRemembered(deps: { transactor: AppTransactor }, tenantId: string, remembered: StoredCheckpoint, proved: ProvedCheckpoint | undefined, verifiers: readonly NoteVerifier[]): Promise<Damage | undefined> {
  let old: { size: number; root: Uint8Array };
  try {
    // Ensure the remembered checkpoint is one this log signed, not a file edited by hand.
    old = parseCheckpoint(openNote(remembered.note, verifiers).body);
  } catch (error) {
    return { kind: 'inconsistent', seq: remembered.size, detail: `the remembered checkpoint does not verify: ${(error as Error).message}` };
  }
  if (remembered.root !== Buffer.from(old.root).toString('base64') || remembered.size !== old.size) {
    return { kind: 'inconsistent', seq: old.size, detail: 'the remembered checkpoint entry does not match its note' };
  }
  if (proved === undefined) return { kind: 'truncated', seq: 0, detail: `a checkpoint of size ${old.size} was proved on ${remembered.at}; nothing is proved now` };
  if (proved.size < old.size) return { kind: 'truncated', seq: proved.size, detail: `the log shrank: size ${old.size} was proved on ${remembered.at}, it proves ${proved.size} now` };
  let proof: Uint8Array[];
  try {
    proof = await deps.transactor.withTenant(tenantId, (tx) =>
      consistencyProof(old.size, proved.size, async (level, index) => {
        const hash = await store.treeNode(tx, tenantId, level, index);
        if (hash === undefined) throw new Error(`tree node (${level}, ${index}) missing`);
        return hash;
      }),
    );
  } catch (error) {
    return { kind: 'inconsistent', seq: old.size, detail: `no consistency proof from size ${old.size}: ${(error as Error).message}` };
  }
  if (!verifyConsistency(old.size, proved.size, old.root, proved.root, proof)) {
    return { kind: 'inconsistent', seq: old.size, detail: `the log at size ${proved.size} is not an extension of the one proved at size ${old.size} on ${remembered.at}: its history was rewritten` };
  }
  return undefined;
}

/** The store entry for a proved checkpoint. */
export function storedCheckpoint(proved: ProvedCheckpoint, at: Date): StoredCheckpoint {
  return { size: proved.size, root: Buffer.from(proved.root).toString('base64'), note: proved.note, at: at.toISOString() };
}
