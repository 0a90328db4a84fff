import type { Keyring } from '../../platform/crypto/keyring.ts';
import { ed25519SignerFromSeed, verifierKeyString, type NoteSigner } from './log/index.ts';

/** The checkpoint signer: an Ed25519 key derived from the keyring, so it never enters the database. */
export interface AuditSigner {
  readonly signer: NoteSigner;
  /** The C2SP/sumdb verifier key string customers keep to verify checkpoints offline. */
  readonly verifierKey: string;
  /** The checkpoint origin line for a tenant's log. */
  origin(tenantId: string): string;
}

export function createAuditSigner(keyring: Keyring, publicUrl: string): AuditSigner {
  const host = new URL(publicUrl).host;
  const signer = ed25519SignerFromSeed(`${host}/audit`, keyring.derive('audit-checkpoint-signing'));
  return {
    signer,
    verifierKey: verifierKeyString(signer.name, signer.publicKey),
    origin: (tenantId) => `${host}/audit/${tenantId}`,
  };
}
