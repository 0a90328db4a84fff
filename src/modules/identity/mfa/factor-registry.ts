import { sql, type Expression } from 'kysely';
import type { AppTransactor, Tx } from '../../../database.ts';
import { AppError } from '../../../platform/http/errors.ts';

/** What a client sends to prove a second factor; each kind reads the fields it defines. */
export interface FactorProof {
  /** A TOTP code or a recovery code. */
  readonly code?: string;
  /** A WebAuthn assertion (PublicKeyCredential JSON), for a factor that uses one. */
  readonly response?: unknown;
}

/** A second factor that verified: the RFC 8176 `amr` values it adds to the session. */
export interface VerifiedFactor {
  readonly amr: readonly string[];
}

/**
 * One kind of second factor (TOTP, recovery code, WebAuthn …). The MFA login step, step-up
 * re-authentication and the `methods` list all go through this interface, so a new kind plugs in
 * by registering itself; nothing else changes.
 */
export interface SecondFactor {
  /** The method name clients use (`totp`, `recovery_code`, `webauthn`). */
  readonly kind: string;
  /**
   * A query that returns the rows with which the user could sign in with this kind now (confirmed
   * factors, unused codes …), with the fields their MAC covers and the MAC. The registry asks every
   * kind in ONE statement (`select (select json_agg(…)), (select json_agg(…))`), in the caller's
   * transaction: a sign-in pays one round trip for all its factors.
   */
  enrolledQuery(tx: Tx, userId: string): Expression<unknown>;
  /**
   * Issue 13, property 1: whether one of those rows (as JSON: bytes as `\x…` hex, times as ISO
   * strings; see {@link jsonBytes}, {@link jsonDate}) carries a valid MAC. A row SQL wrote by hand
   * does not make the user look enrolled.
   */
  enrolledValid(row: Readonly<Record<string, unknown>>): boolean;
  /** Whether having this kind (alone) makes an account "use MFA"; recovery codes do not. */
  readonly primary: boolean;
  /**
   * Optional first half of a challenge–response factor: what the client needs to answer (e.g.
   * WebAuthn request options). `attemptId` names the pending sign-in or step-up it belongs to;
   * the factor keeps its own challenge state under that id.
   */
  begin?(input: { userId: string; attemptId: string }): Promise<Record<string, unknown>>;
  /**
   * Checks a proof and consumes it if single-use (atomically: two concurrent requests with the
   * same proof cannot both succeed). Undefined when it does not verify; never throws for a wrong proof.
   */
  verify(input: { userId: string; attemptId: string; proof: FactorProof }): Promise<VerifiedFactor | undefined>;
}

export interface FactorRegistry {
  register(factor: SecondFactor): void;
  /** The factor of a method name; `invalid_request` for a kind nobody registered. */
  get(kind: string): SecondFactor;
  /** The method names the user can use now, in registration order; in `tx` if given, else in a transaction of its own. */
  methodsFor(userId: string, tx?: Tx): Promise<string[]>;
  /** Whether the user has a primary second factor (so password alone is not enough). */
  requiresMfa(userId: string, tx?: Tx): Promise<boolean>;
  /** Whether `methods` (from `methodsFor`) include a primary kind. */
  anyPrimary(methods: readonly string[]): boolean;
  readonly kinds: readonly string[];
}

export function createFactorRegistry(transactor: AppTransactor): FactorRegistry {
  const factors = new Map<string, SecondFactor>();
  // One transaction (or the caller's) for every kind; the statements run one after another on it.
  async function inTx<T>(tx: Tx | undefined, work: (tx: Tx) => Promise<T>): Promise<T> {
    return tx === undefined ? transactor.withPlatform(work) : work(tx);
  }
  async function enrolledKinds(userId: string, tx: Tx, only?: (factor: SecondFactor) => boolean): Promise<string[]> {
    const asked = [...factors.values()].filter((factor) => only === undefined || only(factor));
    if (asked.length === 0) return [];
    const row = await tx.selectNoFrom(() => asked.map((factor, i) => sql`(select coalesce(json_agg(f), '[]'::json) from ${factor.enrolledQuery(tx, userId)} as f)`.as(`k${i}`))).executeTakeFirstOrThrow();
    const answers = row as Record<string, unknown>;
    // Only rows whose MAC verifies count (each failure is logged as row_integrity_failed).
    return asked.filter((factor, i) => rowsOf(answers[`k${i}`]).some((r) => factor.enrolledValid(r))).map((factor) => factor.kind);
  }
  const anyPrimary = (methods: readonly string[]) => methods.some((kind) => factors.get(kind)?.primary === true);
  return {
    register: (factor) => {
      if (factors.has(factor.kind)) throw new Error(`second factor ${factor.kind} registered twice`);
      factors.set(factor.kind, factor);
    },
    get: (kind) => {
      const factor = factors.get(kind);
      if (factor === undefined) throw new AppError('invalid_request', { detail: `Unknown second-factor method; one of: ${[...factors.keys()].join(', ')}.` });
      return factor;
    },
    methodsFor: (userId, tx) => inTx(tx, (t) => enrolledKinds(userId, t)),
    requiresMfa: (userId, tx) => inTx(tx, async (t) => (await enrolledKinds(userId, t, (factor) => factor.primary)).length > 0),
    anyPrimary,
    get kinds() {
      return [...factors.keys()];
    },
  };
}

/** The rows of a `json_agg` answer (the drivers give it parsed; a string is parsed here). */
function rowsOf(value: unknown): Readonly<Record<string, unknown>>[] {
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  return Array.isArray(parsed) ? parsed.filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null) : [];
}

/** A `bytea` as `json_agg` renders it (`\\x` and hex); null for anything else. */
export function jsonBytes(value: unknown): Buffer | null {
  return typeof value === 'string' && /^\\x([0-9a-f]{2})*$/i.test(value) ? Buffer.from(value.slice(2), 'hex') : null;
}

/** A `timestamptz` as `json_agg` renders it (ISO 8601, microseconds at most: a JavaScript date keeps the milliseconds, as the driver does). */
export function jsonDate(value: unknown): Date {
  return new Date(typeof value === 'string' ? value : Number.NaN);
}
