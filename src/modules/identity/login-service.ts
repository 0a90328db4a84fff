import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/http/errors.ts';
import { findUserByEmail, updatePasswordHash, type UserRow } from './identity-store.ts';
import { isOverlongPassword } from './password-policy.ts';
import type { PasswordHasher } from './password-hasher.ts';
import type { SessionService } from './session-service.ts';

export interface LoginResult {
  readonly token: string;
  readonly user: UserRow;
}

export interface LoginService {
  /** Verifies email + password and opens a session; any failure is `invalid_credentials`. */
  login(input: { email: string; password: string; ip: string; userAgent: string | undefined }): Promise<LoginResult>;
}

export function createLoginService(deps: { transactor: AppTransactor; hasher: PasswordHasher; sessions: SessionService; clock: Clock }): LoginService {
  const { transactor, hasher, sessions, clock } = deps;
  return {
    login: async ({ email, password, ip, userAgent }) => {
      // ASVS 6.2.x: a password longer than any we accept is refused before any hashing work.
      if (isOverlongPassword(password)) throw new AppError('invalid_credentials');
      const user = await transactor.withPlatform((tx) => findUserByEmail(tx, email));
      // Uniform work: an unknown or disabled account still costs one argon2id verification, so
      // timing does not reveal whether the account exists (ASVS 6.3.8).
      const usable = user !== undefined && user.disabled_at === null;
      const ok = await hasher.verify(usable ? user.password_hash : hasher.dummyHash, password);
      if (!usable || !ok) throw new AppError('invalid_credentials');
      const rehash = hasher.needsRehash(user.password_hash) ? await hasher.hash(password) : undefined;
      return transactor.withPlatform(async (tx) => {
        if (rehash !== undefined) await updatePasswordHash(tx, user.id, rehash, clock.now());
        // A fresh session id at every login: nothing chosen before authentication survives it.
        const { token } = await sessions.create(tx, user, { ip, userAgent, authMethods: ['pwd'] });
        return { token, user };
      });
    },
  };
}
