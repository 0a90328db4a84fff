import type { AppTransactor } from '../../database.ts';
import type { AuditRecorder, AuditSource } from '../audit/index.ts';
import type { LoginThrottle, SessionService, UserRow } from '../identity/index.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Random } from '../../platform/crypto/random.ts';
import type { RelyingParty } from './relying-party.ts';
import type { PasskeyIntegrity } from './passkey-integrity.ts';

/** What the passkey use-cases need, passed in. */
export interface PasskeyDeps {
  readonly transactor: AppTransactor;
  readonly clock: Clock;
  readonly random: Random;
  readonly audit: AuditRecorder;
  readonly sessions: Pick<SessionService, 'create'>;
  /** A login throttle in its own namespace (`passkey`): subjects `credential:<id>` and `user:<id>`. */
  readonly throttle: LoginThrottle;
  readonly relyingParty: RelyingParty;
  /** Row MACs (issue 13): a passkey without a valid one signs nobody in. */
  readonly integrity: PasskeyIntegrity;
  /** The identity module's local sign-in guards (enforced SSO), run before a passwordless session opens. */
  readonly localSignIn?: (user: UserRow, method: 'passkey', source: AuditSource) => Promise<void>;
}
