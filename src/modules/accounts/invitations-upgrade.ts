import type { AppTransactor } from '../../database.ts';
import type { RowIntegrity } from '../identity/index.ts';

/**
 * Issue 13, property 2, at start: keys the digests of the invitations migration 0124 copied. The
 * copy — not the live row — is keyed, in the verified jobs context (the only one that sees copies),
 * and written onto the live row, in its organization's context, only while the row still holds
 * exactly that digest; the copy is then deleted. A digest written by hand after the migration is
 * never keyed, so it matches no link. Returns how many copies were used.
 */
export async function keyExistingInvitations(transactor: AppTransactor, integrity: Pick<RowIntegrity, 'storedDigest'>): Promise<number> {
  const copies = await transactor.withJobs((tx) => tx.selectFrom('invitations_digest_upgrade').select(['tenant_id', 'id', 'token_hash']).execute());
  for (const copy of copies) {
    await transactor.withTenant(copy.tenant_id, (tx) =>
      tx
        .updateTable('invitations')
        .set({ token_hash: integrity.storedDigest('invitation', copy.token_hash) })
        .where('tenant_id', '=', copy.tenant_id)
        .where('id', '=', copy.id)
        .where('token_hash', '=', Buffer.from(copy.token_hash))
        .execute(),
    );
    await transactor.withJobs((tx) => tx.deleteFrom('invitations_digest_upgrade').where('tenant_id', '=', copy.tenant_id).where('id', '=', copy.id).execute());
  }
  return copies.length;
}
