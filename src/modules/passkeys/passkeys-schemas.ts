import { Type } from '@sinclair/typebox';
import type { AuthenticationResponseJSON, PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { Strict } from '../../platform/http/schemas.ts';

/** Unpadded base64url, as WebAuthn's toJSON() produces it. */
const B64 = (maxLength: number) => Type.String({ minLength: 1, maxLength, pattern: '^[A-Za-z0-9_-]+$' });

const Transport = Type.Union(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'].map((t) => Type.Literal(t)));
const Transports = Type.Array(Type.String({ maxLength: 32 }), { maxItems: 10 });
// Credential ids are at most 1023 bytes (WebAuthn L3 §4, "Credential ID").
const CredentialId = B64(1400);
const ClientExtensionResults = Type.Object({}, { additionalProperties: true, maxProperties: 16 });
const Attachment = Type.Optional(Type.Union([Type.Literal('platform'), Type.Literal('cross-platform')]));

/** RegistrationResponseJSON (WebAuthn L3 §5.1, toJSON of navigator.credentials.create()). */
export const RegistrationResponse = Type.Unsafe<RegistrationResponseJSON>(Strict({
  id: CredentialId,
  rawId: CredentialId,
  type: Type.Literal('public-key'),
  response: Strict({
    clientDataJSON: B64(8192),
    attestationObject: B64(32768),
    authenticatorData: Type.Optional(B64(16384)),
    transports: Type.Optional(Transports),
    publicKeyAlgorithm: Type.Optional(Type.Integer({ minimum: -65536, maximum: 65535 })),
    publicKey: Type.Optional(B64(8192)),
  }),
  authenticatorAttachment: Attachment,
  clientExtensionResults: ClientExtensionResults,
}));

/** AuthenticationResponseJSON (toJSON of navigator.credentials.get()). */
export const AuthenticationResponse = Type.Unsafe<AuthenticationResponseJSON>(Strict({
  id: CredentialId,
  rawId: CredentialId,
  type: Type.Literal('public-key'),
  response: Strict({
    clientDataJSON: B64(8192),
    authenticatorData: B64(16384),
    signature: B64(8192),
    userHandle: Type.Optional(B64(128)),
  }),
  authenticatorAttachment: Attachment,
  clientExtensionResults: ClientExtensionResults,
}));

const Descriptor = Type.Object({ id: Type.String(), type: Type.Literal('public-key'), transports: Type.Optional(Type.Array(Transport)) });

/**
 * PublicKeyCredentialCreationOptionsJSON, as passed to navigator.credentials.create(). The static
 * type is the library's (what handlers return); the schema documents and serializes it.
 */
export const CreationOptions = Type.Unsafe<PublicKeyCredentialCreationOptionsJSON>(Type.Object({
  challenge: Type.String(),
  rp: Type.Object({ id: Type.String(), name: Type.String() }),
  user: Type.Object({ id: Type.String(), name: Type.String(), displayName: Type.String() }),
  pubKeyCredParams: Type.Array(Type.Object({ alg: Type.Integer(), type: Type.Literal('public-key') })),
  timeout: Type.Integer(),
  attestation: Type.String(),
  excludeCredentials: Type.Array(Descriptor),
  authenticatorSelection: Type.Object({ residentKey: Type.String(), userVerification: Type.String(), requireResidentKey: Type.Boolean(), authenticatorAttachment: Type.Optional(Type.String()) }),
  extensions: Type.Optional(Type.Object({ credProps: Type.Optional(Type.Boolean()) })),
  hints: Type.Optional(Type.Array(Type.String())),
}));

/** PublicKeyCredentialRequestOptionsJSON, as passed to navigator.credentials.get(). */
export const RequestOptions = Type.Unsafe<PublicKeyCredentialRequestOptionsJSON>(Type.Object({
  challenge: Type.String(),
  rpId: Type.String(),
  timeout: Type.Integer(),
  userVerification: Type.String(),
  allowCredentials: Type.Optional(Type.Array(Descriptor)),
}));
