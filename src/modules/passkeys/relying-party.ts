/** The WebAuthn Relying Party Parapet acts as, derived from the public URL. */
export interface RelyingParty {
  /** The RP ID: the public URL's host name (WebAuthn L3 §5.1.2; browsers refuse IP addresses). */
  readonly id: string;
  /** Shown by authenticators beside the account name. */
  readonly name: string;
  /** The only origin whose ceremonies are accepted (clientDataJSON.origin). */
  readonly origin: string;
}

/** The Relying Party for `publicUrl`: one origin, and its host name as RP ID and name. */
export function relyingPartyFor(publicUrl: string): RelyingParty {
  const url = new URL(publicUrl);
  return Object.freeze({ id: url.hostname, name: url.hostname, origin: url.origin });
}
