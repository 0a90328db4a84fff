import type { Keyring } from '../../platform/crypto/keyring.ts';
import type { LogIdentity } from './log-identity.ts';
import { ed25519SignerFromSeed, verifierFromPublicKey, verifierKeyString, type NoteSigner, type NoteVerifier } from './log/index.ts';

/** The checkpoint signer: an Ed25519 key derived from the keyring, so it never enters the database. */
export interface AuditSigner {
  readonly signer: NoteSigner;
  /** The C2SP/sumdb verifier key string customers keep to verify checkpoints offline. */
  readonly verifierKey: string;
  /** Every verifier key the log has used (the same public key under each name), the current one first. */
  readonly verifierKeys: readonly string[];
  /** Verifiers for every key the log has used. */
  readonly verifiers: readonly NoteVerifier[];
  /** The checkpoint origin line for a tenant's log. */
  origin(tenantId: string): string;
}

/** The signer of a deployment's log identity (`loadLogIdentity`). */
export function createAuditSigner(keyring: Keyring, identity: LogIdentity): AuditSigner {
  const signer = ed25519SignerFromSeed(identity.keyName, keyring.derive('audit-checkpoint-signing'));
  const names = [identity.keyName, ...identity.keyNames.filter((name) => name !== identity.keyName)];
  return {
    signer,
    verifierKey: verifierKeyString(signer.name, signer.publicKey),
    verifierKeys: names.map((name) => verifierKeyString(name, signer.publicKey)),
    verifiers: names.map((name) => verifierFromPublicKey(name, signer.publicKey)),
    origin: (tenantId) => `${identity.keyName}/${tenantId}`,
  };
}

/** The origins a tenant's checkpoints may carry: one per key name (`<name>/<tenant id>`). */
export function originsFor(verifiers: readonly NoteVerifier[], tenantId: string): string[] {
  return verifiers.map((verifier) => `${verifier.name}/${tenantId}`);
}
