// Drives WebAuthn ceremonies against a test app through its HTTP API, with a software authenticator.
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import type { TestApp } from './app.ts';
import { createSoftwareAuthenticator, type AuthenticationResponse, type CeremonyOverrides, type RegistrationResponse, type SoftwareAuthenticator } from './webauthn-authenticator.ts';

export interface CreationOptionsBody {
  challenge: string;
  rp: { id: string; name: string };
  user: { id: string; name: string; displayName: string };
  excludeCredentials: { id: string; type: string; transports?: string[] }[];
  authenticatorSelection: { residentKey: string; userVerification: string; requireResidentKey: boolean };
  attestation: string;
  timeout: number;
  pubKeyCredParams: { alg: number; type: string }[];
}

export interface RequestOptionsBody {
  challenge: string;
  rpId: string;
  timeout: number;
  userVerification: string;
  allowCredentials?: { id: string; type: string }[];
}

/** A software authenticator speaking for the test app's origin. */
export function authenticatorFor(t: TestApp, settings: { verifiesUser?: boolean; backupEligible?: boolean; counting?: boolean } = {}): SoftwareAuthenticator {
  return createSoftwareAuthenticator({ origin: new URL(t.config.publicUrl).origin, ...settings });
}

export async function registrationOptions(t: TestApp, cookie: string): Promise<CreationOptionsBody> {
  const response = await t.inject({ method: 'POST', url: '/api/v1/auth/passkeys/registration/options', headers: { cookie } });
  assert.equal(response.statusCode, 200, response.body);
  return response.json<CreationOptionsBody>();
}

export function verifyRegistration(t: TestApp, cookie: string, name: string, response: RegistrationResponse): Promise<LightMyRequestResponse> {
  return t.inject({ method: 'POST', url: '/api/v1/auth/passkeys/registration/verify', headers: { cookie }, payload: { name, response } });
}

/** Registers `authenticator` for the signed-in user behind `cookie`; returns the new passkey's id. */
export async function registerPasskey(t: TestApp, cookie: string, authenticator: SoftwareAuthenticator, name = 'Test key', overrides: CeremonyOverrides = {}): Promise<string> {
  const options = await registrationOptions(t, cookie);
  const response = await verifyRegistration(t, cookie, name, authenticator.create(options, overrides));
  assert.equal(response.statusCode, 201, response.body);
  return response.json<{ id: string }>().id;
}

/** Starts a passwordless sign-in; returns the options and the ceremony cookie ("name=value"). */
export async function passwordlessOptions(t: TestApp): Promise<{ options: RequestOptionsBody; ceremony: string }> {
  const response = await t.inject({ method: 'POST', url: '/api/v1/auth/passkeys/authentication/options' });
  assert.equal(response.statusCode, 200, response.body);
  const cookie = response.cookies.find((c) => c.name.endsWith('parapet_webauthn'));
  assert.ok(cookie !== undefined, 'no ceremony cookie');
  return { options: response.json<RequestOptionsBody>(), ceremony: `${cookie.name}=${cookie.value}` };
}

export function verifyPasswordless(t: TestApp, ceremony: string | undefined, response: AuthenticationResponse): Promise<LightMyRequestResponse> {
  return t.inject({ method: 'POST', url: '/api/v1/auth/passkeys/authentication/verify', ...(ceremony === undefined ? {} : { headers: { cookie: ceremony } }), payload: { response } });
}

/** A whole passwordless sign-in with `authenticator`. */
export async function signInWithPasskey(t: TestApp, authenticator: SoftwareAuthenticator, overrides: CeremonyOverrides = {}): Promise<LightMyRequestResponse> {
  const { options, ceremony } = await passwordlessOptions(t);
  return verifyPasswordless(t, ceremony, authenticator.get(options, overrides));
}

/** Platform audit events of `action` still in the inbox (the test app runs no sequencer). */
export async function platformEvents(t: TestApp, action: string): Promise<{ action: string; targets: { type: string; id: string }[]; metadata: Record<string, unknown> }[]> {
  const rows = await t.transactor.withTenant('00000000-0000-0000-0000-000000000000', (tx) => tx.selectFrom('audit_inbox').select('event').execute());
  return rows
    .map((row) => (typeof row.event === 'string' ? JSON.parse(row.event) : row.event) as { action: string; targets: { type: string; id: string }[]; metadata: Record<string, unknown> })
    .filter((event) => event.action === action);
}
