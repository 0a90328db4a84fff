/** One registered WebAuthn credential (passkey or security key) of a user. */
export interface PasskeysTable {
  id: string;
  user_id: string;
  credential_id: string;
  public_key: Uint8Array;
  /** bigint: drivers return it as a string or a number. */
  counter: string | number;
  transports: string[];
  aaguid: string;
  user_handle: Uint8Array;
  backup_eligible: boolean;
  backed_up: boolean;
  name: string;
  created_at: Date;
  last_used_at: Date | null;
  /** Issue 13: HMAC under the keyring's `row-integrity` key (passkey-integrity.ts); null only before the back-fill. */
  integrity_mac: Uint8Array | null;
}

/** A WebAuthn challenge waiting for its response; single use, short-lived. */
export interface WebauthnChallengesTable {
  purpose: ChallengePurpose;
  binding: Uint8Array;
  challenge: string;
  user_id: string | null;
  user_handle: Uint8Array | null;
  created_at: Date;
  expires_at: Date;
}

export type ChallengePurpose = 'registration' | 'passwordless' | 'second_factor';

export interface PasskeysTables {
  passkeys: PasskeysTable;
  webauthn_challenges: WebauthnChallengesTable;
}
