import { ParapetError } from '../../platform/errors.ts';
import { SAML, ValidateInResponseTo, type CacheProvider, type Profile } from '@node-saml/node-saml';
import { DOMParser } from '@xmldom/xmldom';

/** What the SP needs of a SAML connection. */
export interface SamlConnection {
  readonly idpEntityId: string;
  readonly idpSsoUrl: string;
  /** One or two PEM certificates (bodies or full PEM): both are accepted during a rollover. */
  readonly idpCerts: readonly string[];
  readonly allowIdpInitiated: boolean;
}

/** This Parapet as the SP of one connection. */
export interface SamlEndpoints {
  /** The SP entity id (the Audience the assertion must name). */
  readonly entityId: string;
  /** The assertion consumer service URL (the Recipient and Destination the response must name). */
  readonly acsUrl: string;
}

/** A validated assertion, reduced to what sign-in needs. */
export interface SamlAssertion {
  readonly nameId: string;
  readonly email: string | undefined;
  readonly issuer: string;
  readonly assertionId: string;
  readonly inResponseTo: string | undefined;
  readonly notOnOrAfter: Date | undefined;
  readonly authnContextClassRef: string | undefined;
}

/** Why a response was refused (recorded in the audit event, never shown to the browser). */
export class SamlRefused extends ParapetError {
  readonly code = 'saml_refused';
  readonly reason: string;
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`SAML response refused: ${reason}`, options);
    this.name = 'SamlRefused';
    this.reason = reason;
  }
}

const SKEW_MS = 120_000;

/**
 * A node-saml instance for one connection and one expected request. `InResponseTo` is answered
 * from the sign-in's own state row (`expectedRequestId`), not from a process-local cache, so a
 * response is accepted on any node but only for the request this browser started.
 */
function samlFor(connection: SamlConnection, sp: SamlEndpoints, expectedRequestId: string | undefined, requestId?: string): SAML {
  const cache: CacheProvider = {
    saveAsync: () => Promise.resolve({ value: 'saved', createdAt: Date.now() }),
    // node-saml reads the value as the request's creation time; the state row's own expiry (10 minutes) is what limits it.
    getAsync: (key) => Promise.resolve(expectedRequestId !== undefined && key === expectedRequestId ? new Date().toISOString() : null),
    removeAsync: () => Promise.resolve(null),
  };
  return new SAML({
    issuer: sp.entityId,
    callbackUrl: sp.acsUrl,
    entryPoint: connection.idpSsoUrl,
    idpCert: [...connection.idpCerts],
    audience: sp.entityId,
    // SAML Core §5: the assertion carries the signature that binds the subject; it is always required.
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: false,
    acceptedClockSkewMs: SKEW_MS,
    // SAML Profiles §4.1.4.3: an unsolicited response has no InResponseTo; refused unless the organization allows it.
    validateInResponseTo: connection.allowIdpInitiated && expectedRequestId === undefined ? ValidateInResponseTo.ifPresent : ValidateInResponseTo.always,
    cacheProvider: cache,
    identifierFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    disableRequestedAuthnContext: true,
    ...(requestId === undefined ? {} : { generateUniqueId: () => requestId }),
  });
}

/** The redirect to the IdP with a new AuthnRequest whose ID is `requestId` (SP-initiated, HTTP-Redirect binding). */
export async function samlAuthnRequestUrl(connection: SamlConnection, sp: SamlEndpoints, requestId: string, relayState: string): Promise<string> {
  return samlFor(connection, sp, undefined, requestId).getAuthorizeUrlAsync(relayState, undefined, {});
}

/** The SP metadata an IdP administrator imports. */
export function samlSpMetadata(connection: SamlConnection, sp: SamlEndpoints): string {
  return samlFor(connection, sp, undefined).generateServiceProviderMetadata(null, null);
}

const SAML_ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';
const SAML_PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';

function first(parent: Element | Document, ns: string, name: string): Element | undefined {
  return parent.getElementsByTagNameNS(ns, name)[0] ?? undefined;
}

/**
 * Validates a POSTed `SAMLResponse`: node-saml checks the XML signature against the connection's
 * certificates, the audience, the validity window and InResponseTo; then the checks node-saml does
 * not make on login responses (NOTES 2026-12-07): the issuer, the Destination and the Recipient.
 * Every attribute read afterwards comes from the assertion node-saml verified.
 */
export async function validateSamlResponse(connection: SamlConnection, sp: SamlEndpoints, samlResponse: string, expectedRequestId: string | undefined): Promise<SamlAssertion> {
  let profile: Profile | null;
  try {
    ({ profile } = await samlFor(connection, sp, expectedRequestId).validatePostResponseAsync({ SAMLResponse: samlResponse }));
  } catch (error) {
    throw new SamlRefused(classify(error), { cause: error });
  }
  if (profile === null) throw new SamlRefused('no_assertion');
  const assertionXml = profile.getAssertionXml?.();
  const responseXml = profile.getSamlResponseXml?.();
  if (assertionXml === undefined || responseXml === undefined) throw new SamlRefused('no_assertion');
  const assertion = new DOMParser().parseFromString(assertionXml, 'text/xml');
  const response = new DOMParser().parseFromString(responseXml, 'text/xml');
  // SAML Core §2.3.3: the Issuer of the assertion MUST be the IdP we trust for this connection.
  const issuer = first(assertion, SAML_ASSERTION, 'Issuer')?.textContent.trim();
  if (issuer !== connection.idpEntityId) throw new SamlRefused('issuer_mismatch');
  // SAML Core §3.2.2: "If it is present, the actual recipient MUST check that the URI reference
  // identifies the location at which the message was received."
  const root = response.documentElement;
  if (root.namespaceURI !== SAML_PROTOCOL || root.localName !== 'Response') throw new SamlRefused('malformed');
  const destination = root.getAttribute('Destination');
  if (destination !== null && destination !== '' && destination !== sp.acsUrl) throw new SamlRefused('destination_mismatch');
  const responseIssuer = Array.from(root.childNodes).find((n): n is Element => n.nodeType === 1 && (n as Element).localName === 'Issuer');
  if (responseIssuer !== undefined && responseIssuer.textContent.trim() !== connection.idpEntityId) throw new SamlRefused('issuer_mismatch');
  // SAML Profiles §4.1.4.3: the bearer SubjectConfirmationData MUST name our ACS as Recipient.
  const confirmation = first(assertion, SAML_ASSERTION, 'SubjectConfirmationData');
  if (confirmation?.getAttribute('Recipient') !== sp.acsUrl) throw new SamlRefused('recipient_mismatch');
  const assertionId = assertion.documentElement.getAttribute('ID') ?? '';
  if (assertionId === '') throw new SamlRefused('malformed');
  const notOnOrAfter = confirmation.getAttribute('NotOnOrAfter') ?? first(assertion, SAML_ASSERTION, 'Conditions')?.getAttribute('NotOnOrAfter') ?? null;
  const classRef = first(assertion, SAML_ASSERTION, 'AuthnContextClassRef')?.textContent.trim();
  const email = [profile.email, profile.mail, profile['urn:oid:0.9.2342.19200300.100.1.3']].find((v): v is string => typeof v === 'string' && v !== '');
  const inResponseTo = typeof profile['inResponseTo'] === 'string' ? profile['inResponseTo'] : undefined;
  // Defence in depth beside node-saml's check: an SP-initiated sign-in answers exactly its request.
  if (expectedRequestId !== undefined && inResponseTo !== expectedRequestId) throw new SamlRefused('in_response_to_mismatch');
  if (expectedRequestId === undefined && (!connection.allowIdpInitiated || inResponseTo !== undefined)) throw new SamlRefused('unsolicited');
  return {
    nameId: profile.nameID,
    email,
    issuer,
    assertionId,
    inResponseTo,
    notOnOrAfter: notOnOrAfter === null ? undefined : new Date(notOnOrAfter),
    authnContextClassRef: classRef === '' ? undefined : classRef,
  };
}

/** A short, stable reason for the audit log from node-saml's message (never the XML). */
function classify(error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  if (/signature/i.test(message)) return 'signature_invalid';
  if (/InResponseTo/i.test(message)) return 'in_response_to_invalid';
  if (/audience/i.test(message)) return 'audience_mismatch';
  if (/expired|NotOnOrAfter|NotBefore|too old|subject confirmation/i.test(message)) return 'expired';
  if (/status/i.test(message)) return 'idp_status_error';
  return 'invalid_response';
}

/** The certificate bodies of IdP metadata (signing use), the entity id and the HTTP-Redirect SSO URL. */
export function parseIdpMetadata(xml: string): { entityId: string; ssoUrl: string; certs: string[] } | undefined {
  const doc = new DOMParser({ errorHandler: () => undefined }).parseFromString(xml, 'text/xml');
  const md = 'urn:oasis:names:tc:SAML:2.0:metadata';
  const entity = first(doc, md, 'EntityDescriptor');
  const idp = entity === undefined ? undefined : first(entity, md, 'IDPSSODescriptor');
  if (entity === undefined || idp === undefined) return undefined;
  const entityId = entity.getAttribute('entityID') ?? '';
  const services = Array.from(idp.getElementsByTagNameNS(md, 'SingleSignOnService'));
  const redirect = services.find((s) => s.getAttribute('Binding') === 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect') ?? services[0];
  const ssoUrl = redirect?.getAttribute('Location') ?? '';
  const certs = Array.from(idp.getElementsByTagNameNS(md, 'KeyDescriptor'))
    .filter((k) => (k.getAttribute('use') ?? 'signing') === 'signing')
    .map((k) => first(k, 'http://www.w3.org/2000/09/xmldsig#', 'X509Certificate')?.textContent.replace(/\s+/g, '') ?? '')
    .filter((c) => c !== '');
  if (entityId === '' || ssoUrl === '' || certs.length === 0) return undefined;
  return { entityId, ssoUrl, certs: [...new Set(certs)].slice(0, 2) };
}
