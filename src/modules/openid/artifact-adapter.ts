import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * oidc-provider's storage (codes, grants, refresh tokens, interactions, provider sessions) over the
 * platform table `oidc_artifacts`. Rows are keyed by the SHA-256 of the artifact id (for a code or a
 * token, the id is the secret itself), the id is removed from the stored payload, and each row
 * carries an HMAC over (kind, id digest, payload): a row that fails it reads as absent, so a writer
 * of the database alone cannot mint a code, a grant or a refresh token.
 */
export function createArtifactAdapterFactory(deps: { transactor: AppTransactor; clock: Clock; macKey: Buffer }): (kind: string) => Adapter {
  const { transactor, clock, macKey } = deps;
  const sealKey = Buffer.from(hkdfSync('sha256', macKey, Buffer.alloc(0), Buffer.from('parapet/oidc-artifact-id-seal'), 32));
  const seal = (id: string): Buffer => {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', sealKey, iv);
    const body = Buffer.concat([cipher.update(id, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  };
  const unseal = (sealed: Uint8Array): string => {
    const bytes = Buffer.from(sealed);
    const decipher = createDecipheriv('aes-256-gcm', sealKey, bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(12, 28));
    return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
  };
  const macOf = (kind: string, idDigest: Buffer, payload: string) => createHmac('sha256', macKey).update(`${kind}\n${idDigest.toString('hex')}\n${payload}`, 'utf8').digest();

  return (kind: string): Adapter => {
    async function read(where: { id?: string; uid?: string }): Promise<AdapterPayload | undefined> {
      const row = await transactor.withPlatform(async (tx) => {
        let query = tx.selectFrom('oidc_artifacts').selectAll().where('kind', '=', kind);
        query = where.id !== undefined ? query.where('id_digest', '=', digest(where.id)) : query.where('uid_digest', '=', digest(where.uid ?? ''));
        return query.executeTakeFirst();
      });
      if (row === undefined) return undefined;
      // A row whose MAC does not verify was not written by Parapet: treated as absent.
      const expected = macOf(kind, Buffer.from(row.id_digest), row.payload);
      const mac = Buffer.from(row.mac);
      if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return undefined;
      if (row.expires_at !== null && row.expires_at.getTime() <= clock.now().getTime()) return undefined;
      const payload = JSON.parse(row.payload) as AdapterPayload & { __id_stripped?: boolean };
      const id = where.id ?? (row.sealed_id === null ? undefined : unseal(row.sealed_id));
      // The sealed id must be the one the MAC'd digest names.
      if (id !== undefined && !createHash('sha256').update(id, 'utf8').digest().equals(Buffer.from(row.id_digest))) return undefined;
      if (payload.__id_stripped === true) {
        delete payload.__id_stripped;
        if (id === undefined) return undefined;
        payload.jti = id;
      }
      if (row.consumed_at !== null) payload.consumed = Math.floor(row.consumed_at.getTime() / 1000);
      return payload;
    }

    return {
      upsert: async (id, payload, expiresIn) => {
        // The id of a code or token is its secret: it is never stored, only its digest.
        const stored: Record<string, unknown> = { ...payload };
        if (stored['jti'] === id) {
          delete stored['jti'];
          stored['__id_stripped'] = true;
        }
        const text = JSON.stringify(stored);
        const idDigest = digest(id);
        const row = {
          kind,
          id_digest: idDigest,
          payload: text,
          grant_id: typeof payload.grantId === 'string' ? payload.grantId : null,
          uid_digest: typeof payload.uid === 'string' ? digest(payload.uid) : null,
          sealed_id: typeof payload.uid === 'string' ? seal(id) : null,
          expires_at: expiresIn !== undefined && expiresIn > 0 ? new Date(clock.now().getTime() + expiresIn * 1000) : null,
          consumed_at: null,
          mac: macOf(kind, idDigest, text),
        };
        await transactor.withPlatform((tx) =>
          tx
            .insertInto('oidc_artifacts')
            .values(row)
            .onConflict((oc) => oc.columns(['kind', 'id_digest']).doUpdateSet({ payload: row.payload, grant_id: row.grant_id, uid_digest: row.uid_digest, sealed_id: row.sealed_id, expires_at: row.expires_at, mac: row.mac }))
            .execute(),
        );
      },
      find: (id) => read({ id }),
      findByUid: (uid) => read({ uid }),
      findByUserCode: () => Promise.resolve(undefined),
      consume: async (id) => {
        await transactor.withPlatform((tx) => tx.updateTable('oidc_artifacts').set({ consumed_at: clock.now() }).where('kind', '=', kind).where('id_digest', '=', digest(id)).execute());
      },
      destroy: async (id) => {
        await transactor.withPlatform((tx) => tx.deleteFrom('oidc_artifacts').where('kind', '=', kind).where('id_digest', '=', digest(id)).execute());
      },
      revokeByGrantId: async (grantId) => {
        await revokeGrantArtifacts(transactor, grantId);
      },
    };
  };
}

/** Deletes every artifact issued under `grantId` (codes, tokens, the grant itself). */
export async function revokeGrantArtifacts(transactor: AppTransactor, grantId: string): Promise<void> {
  await transactor.withPlatform(async (tx) => {
    await tx.deleteFrom('oidc_artifacts').where('grant_id', '=', grantId).execute();
    await tx.deleteFrom('oidc_artifacts').where('kind', '=', 'Grant').where('id_digest', '=', digest(grantId)).execute();
  });
}
