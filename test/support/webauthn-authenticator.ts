// A software WebAuthn authenticator for tests: a real ES256 (P-256) key pair from node:crypto,
// real clientDataJSON, authenticator data and a CBOR 'none' attestation object, and assertions
// signed over authData || SHA-256(clientDataJSON) — so the server's unmodified
// @simplewebauthn/server verification runs against genuine ceremonies. Every field a test may want
// to corrupt (origin, RP ID, flags, counter, user handle, challenge) can be overridden per call.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

type Cbor = number | string | Uint8Array | readonly Cbor[] | Map<Cbor, Cbor> | { readonly [key: string]: Cbor };

function head(major: number, length: number): Buffer {
  if (length < 24) return Buffer.from([(major << 5) | length]);
  if (length < 0x100) return Buffer.from([(major << 5) | 24, length]);
  if (length < 0x10000) return Buffer.from([(major << 5) | 25, length >> 8, length & 0xff]);
  const out = Buffer.alloc(5);
  out[0] = (major << 5) | 26;
  out.writeUInt32BE(length, 1);
  return out;
}

/** A minimal CBOR encoder (RFC 8949): integers, byte and text strings, arrays, maps. Definite lengths only. */
export function cbor(value: Cbor): Buffer {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error('only integers');
    return value >= 0 ? head(0, value) : head(1, -1 - value);
  }
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), value]);
  if (Array.isArray(value)) return Buffer.concat([head(4, value.length), ...value.map((item: Cbor) => cbor(item))]);
  const entries: [Cbor, Cbor][] = value instanceof Map ? [...value.entries()] : Object.entries(value);
  return Buffer.concat([head(5, entries.length), ...entries.flatMap(([k, v]) => [cbor(k), cbor(v)])]);
}

const b64u = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string): Buffer => createHash('sha256').update(data).digest();

export const FLAG_UP = 0x01;
export const FLAG_UV = 0x04;
export const FLAG_BE = 0x08;
export const FLAG_BS = 0x10;
export const FLAG_AT = 0x40;

/** What a test may change in one ceremony, to play an attacker or a broken client. */
export interface CeremonyOverrides {
  readonly origin?: string;
  readonly rpId?: string;
  readonly challenge?: string;
  readonly type?: string;
  readonly userPresent?: boolean;
  readonly userVerified?: boolean;
  /** The signature counter to report instead of the authenticator's own. */
  readonly counter?: number;
  /** The userHandle to return (null: none), instead of the one stored at creation. */
  readonly userHandle?: string | null;
}

interface CreationOptions {
  readonly challenge: string;
  readonly rp: { readonly id?: string; readonly name: string };
  readonly user: { readonly id: string; readonly name: string; readonly displayName: string };
  readonly authenticatorSelection?: { readonly residentKey?: string; readonly userVerification?: string };
}

interface RequestOptions {
  readonly challenge: string;
  readonly rpId?: string;
  readonly allowCredentials?: readonly { readonly id: string }[];
}

export interface RegistrationResponse {
  id: string;
  rawId: string;
  type: 'public-key';
  response: { clientDataJSON: string; attestationObject: string; transports: string[] };
  clientExtensionResults: Record<string, unknown>;
}

export interface AuthenticationResponse {
  id: string;
  rawId: string;
  type: 'public-key';
  response: { clientDataJSON: string; authenticatorData: string; signature: string; userHandle?: string };
  clientExtensionResults: Record<string, unknown>;
}

export interface SoftwareAuthenticator {
  /** The credential id (base64url) once a credential was created. */
  readonly credentialId: string;
  /** The signature counter: it increases by one per assertion, or stays 0 when `counting` is false. */
  readonly counter: number;
  /** navigator.credentials.create(): makes a new ES256 credential for the options' RP and user. */
  create(options: CreationOptions, overrides?: CeremonyOverrides): RegistrationResponse;
  /** navigator.credentials.get(): signs the options' challenge with the credential. */
  get(options: RequestOptions, overrides?: CeremonyOverrides): AuthenticationResponse;
  /** A copy with the same key and counter, as a cloned authenticator would have. */
  clone(): SoftwareAuthenticator;
}

interface Credential {
  id: Buffer;
  privateKey: KeyObject;
  publicKeyCose: Buffer;
  rpId: string;
  userHandle: string;
}

/**
 * A new authenticator holding at most one credential. `origin` is what the "browser" puts into
 * clientDataJSON; `verifiesUser` whether it can do user verification (PIN/biometric);
 * `backupEligible` makes it a synced (multi-device) passkey; `counting: false` an authenticator
 * whose counter is always 0.
 */
export function createSoftwareAuthenticator(settings: { origin: string; verifiesUser?: boolean; backupEligible?: boolean; counting?: boolean; aaguid?: string }): SoftwareAuthenticator {
  const aaguid = Buffer.from((settings.aaguid ?? '00000000-0000-0000-0000-000000000000').replaceAll('-', ''), 'hex');
  return build(settings, aaguid, undefined, 0);
}

function build(settings: { origin: string; verifiesUser?: boolean; backupEligible?: boolean; counting?: boolean }, aaguid: Buffer, initial: Credential | undefined, initialCounter: number): SoftwareAuthenticator {
  let credential = initial;
  let counter = initialCounter;
  const counting = settings.counting ?? true;

  function flags(overrides: CeremonyOverrides, attested: boolean): number {
    let value = 0;
    if (overrides.userPresent ?? true) value |= FLAG_UP;
    if (overrides.userVerified ?? settings.verifiesUser ?? true) value |= FLAG_UV;
    if (settings.backupEligible === true) value |= FLAG_BE | FLAG_BS;
    if (attested) value |= FLAG_AT;
    return value;
  }

  function clientData(type: string, challenge: string, overrides: CeremonyOverrides): Buffer {
    return Buffer.from(JSON.stringify({ type: overrides.type ?? type, challenge: overrides.challenge ?? challenge, origin: overrides.origin ?? settings.origin, crossOrigin: false }), 'utf8');
  }

  function signCount(overrides: CeremonyOverrides): Buffer {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(overrides.counter ?? counter, 0);
    return out;
  }

  return {
    get credentialId() {
      if (credential === undefined) throw new Error('no credential yet');
      return b64u(credential.id);
    },
    get counter() {
      return counter;
    },
    create: (options, overrides = {}) => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const jwk = publicKey.export({ format: 'jwk' });
      // RFC 9053 §7.1.1: EC2 key, kty 2, alg -7 (ES256), crv 1 (P-256), x, y.
      const publicKeyCose = cbor(
        new Map<Cbor, Cbor>([
          [1, 2],
          [3, -7],
          [-1, 1],
          [-2, Buffer.from(jwk.x ?? '', 'base64url')],
          [-3, Buffer.from(jwk.y ?? '', 'base64url')],
        ]),
      );
      const rpId = options.rp.id ?? new URL(settings.origin).hostname;
      credential = { id: randomBytes(32), privateKey, publicKeyCose, rpId, userHandle: options.user.id };
      counter = 0;
      const idLength = Buffer.alloc(2);
      idLength.writeUInt16BE(credential.id.length, 0);
      // WebAuthn L3 §6.1: rpIdHash | flags | signCount | attestedCredentialData (aaguid | L | id | COSE key).
      const authData = Buffer.concat([sha256(overrides.rpId ?? rpId), Buffer.from([flags(overrides, true)]), signCount(overrides), aaguid, idLength, credential.id, publicKeyCose]);
      const attestationObject = cbor({ fmt: 'none', attStmt: {}, authData });
      return {
        id: b64u(credential.id),
        rawId: b64u(credential.id),
        type: 'public-key',
        response: { clientDataJSON: b64u(clientData('webauthn.create', options.challenge, overrides)), attestationObject: b64u(attestationObject), transports: ['usb', 'nfc'] },
        clientExtensionResults: {},
      };
    },
    get: (options, overrides = {}) => {
      if (credential === undefined) throw new Error('no credential to assert with');
      if (counting) counter++;
      const authData = Buffer.concat([sha256(overrides.rpId ?? credential.rpId), Buffer.from([flags(overrides, false)]), signCount(overrides)]);
      const clientDataJSON = clientData('webauthn.get', options.challenge, overrides);
      // WebAuthn L3 §6.3.3: the signature is over authenticatorData || SHA-256(clientDataJSON); ES256 is DER-encoded.
      const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), credential.privateKey);
      const userHandle = overrides.userHandle === undefined ? credential.userHandle : overrides.userHandle;
      return {
        id: b64u(credential.id),
        rawId: b64u(credential.id),
        type: 'public-key',
        response: { clientDataJSON: b64u(clientDataJSON), authenticatorData: b64u(authData), signature: b64u(signature), ...(userHandle === null ? {} : { userHandle }) },
        clientExtensionResults: {},
      };
    },
    clone: () => build(settings, aaguid, credential, counter),
  };
}
