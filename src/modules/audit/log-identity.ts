import { ParapetError } from '../../platform/errors.ts';
import { sql } from 'kysely';
import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Keyring } from '../../platform/crypto/keyring.ts';
import { ed25519SignerFromSeed, isValidKeyName, openNote, verifierFromPublicKey } from './log/index.ts';

/** The names a deployment's audit log is signed under: one current, and every one used before. */
export interface LogIdentity {
  /** The note key name new checkpoints are signed under; origins are `<keyName>/<tenant id>`. */
  readonly keyName: string;
  /** Every name the log's checkpoints were signed under, the current one first. */
  readonly keyNames: readonly string[];
}

export class LogIdentityError extends ParapetError {
  readonly code = 'log_identity';
  override readonly name = 'LogIdentityError';
}

const SIGNATURE_LINE = /^\u2014 (\S+) /gmu;

/** The key name a node would have used before the identity was stored: `<host of the public URL>/audit`. */
export function urlKeyName(publicUrl: string): string {
  return `${new URL(publicUrl).host}/audit`;
}

/**
 * Loads the audit log's identity, fixing it on first start (AUD-2). The key is derived from the
 * keyring; its name is stored once in `audit_log_keys` and never derived again from the URL a
 * process runs with, so every node, the CLI and a moved deployment sign and verify under one name.
 *
 * On the first start of a database whose checkpoints predate the table, every name they were
 * signed under (one per node host:port) is adopted as a historical name once one of its notes is
 * proven to carry this keyring's signature, and the most recently used becomes the current one:
 * customers' keys keep working. A fresh database takes `<host of the public URL>/audit`.
 */
export async function loadLogIdentity(deps: { transactor: AppTransactor; keyring: Keyring; clock: Clock }, publicUrl: string): Promise<LogIdentity> {
  const seed = deps.keyring.derive('audit-checkpoint-signing');
  const publicKey = ed25519SignerFromSeed('parapet-audit', seed).publicKey;
  return deps.transactor.withPlatform(async (tx) => {
    let rows = await tx.selectFrom('audit_log_keys').selectAll().orderBy('added_at').execute();
    if (!rows.some((row) => row.current)) {
      const now = deps.clock.now();
      const used = await sql<{ note: string; last_used: Date }>`select note, last_used from parapet_audit_signing_names()`.execute(tx);
      const historical = new Map<string, Date>();
      for (const { note, last_used } of used.rows) {
        for (const [, name] of note.matchAll(SIGNATURE_LINE)) {
          if (name === undefined || !isValidKeyName(name)) continue;
          // Adopt a name only if this keyring's key really signed under it.
          try {
            openNote(note, [verifierFromPublicKey(name, publicKey)]);
          } catch {
            continue;
          }
          const seen = historical.get(name);
          if (seen === undefined || seen < last_used) historical.set(name, last_used);
        }
      }
      const newest = [...historical.entries()].sort((a, b) => b[1].getTime() - a[1].getTime())[0]?.[0];
      const current = newest ?? urlKeyName(publicUrl);
      const values = [current, ...[...historical.keys()].filter((name) => name !== current)].map((key_name, i) => ({ key_name, public_key: Buffer.from(publicKey), current: i === 0, added_at: now }));
      // Two nodes starting at once: one insert wins, and both read back the same identity.
      await tx.insertInto('audit_log_keys').values(values).onConflict((oc) => oc.doNothing()).execute();
      rows = await tx.selectFrom('audit_log_keys').selectAll().orderBy('added_at').execute();
    }
    const current = rows.find((row) => row.current);
    if (current === undefined) throw new LogIdentityError('the audit log has no current signing identity');
    if (!Buffer.from(current.public_key).equals(publicKey)) {
      throw new LogIdentityError(`the audit log is signed by another key than this keyring's (${current.key_name}): every node must use the same keyring`);
    }
    return { keyName: current.key_name, keyNames: [current.key_name, ...rows.filter((row) => !row.current).map((row) => row.key_name)] };
  });
}
