import type { CheckStatus } from '../trust-tables.ts';

/** What one run of a check found. */
export interface CheckOutcome {
  readonly status: CheckStatus;
  /** What was checked and what it found, for the public page: no host names, table names or secrets. */
  readonly statement: string;
  /** For platform administrators: the specifics (which tables, which host, the error). */
  readonly detail: string;
}

/** A live check of the running deployment, bound to the claims (`docs/claims.md` ids) it proves. */
export interface TrustCheck {
  readonly id: string;
  readonly claims: readonly string[];
  /** One line, for the controls page: what the check does. */
  readonly title: string;
  run(): Promise<CheckOutcome>;
}

export const pass = (statement: string, detail = ''): CheckOutcome => ({ status: 'pass', statement, detail });
export const fail = (statement: string, detail: string): CheckOutcome => ({ status: 'fail', statement, detail });
export const notApplicable = (statement: string, detail = ''): CheckOutcome => ({ status: 'not_applicable', statement, detail });
