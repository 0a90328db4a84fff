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
  /** This SP's private key (PEM) for encrypted assertions, and its certificate (PEM body) for the metadata. */
  readonly decryption?: { readonly keyPem: string; readonly certBody: string } | undefined;
  /** Sign AuthnRequests with the SP key (`decryption`'s key pair). */
  readonly signRequests?: boolean;
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
  /** Microsoft Entra's `authnmethodsreferences` attribute values (its amr), at most 8. */
  readonly authnMethods: readonly string[];
  /** The values of the groups attribute (`groups`, `memberOf`, Entra's and AD FS's group claims). */
  readonly groups: readonly string[];
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
    // SAML Core §2.3.4: an EncryptedAssertion is decrypted with this SP's key, then its signature checked as any assertion's.
    ...(connection.decryption === undefined ? {} : { decryptionPvk: connection.decryption.keyPem }),
    // SAML Bindings §3.4.4.1: a signed HTTP-Redirect request carries SigAlg and Signature over the query.
    ...(connection.decryption !== undefined && connection.signRequests === true ? { privateKey: connection.decryption.keyPem, signatureAlgorithm: 'sha256' as const } : {}),
    ...(requestId === undefined ? {} : { generateUniqueId: () => requestId }),
  });
}

/** The redirect to the IdP with a new AuthnRequest whose ID is `requestId` (SP-initiated, HTTP-Redirect binding). */
export async function samlAuthnRequestUrl(connection: SamlConnection, sp: SamlEndpoints, requestId: string, relayState: string): Promise<string> {
  return samlFor(connection, sp, undefined, requestId).getAuthorizeUrlAsync(relayState, undefined, {});
}

/** The SP metadata an IdP administrator imports. */
export function samlSpMetadata(connection: SamlConnection, sp: SamlEndpoints): string {
  const cert = connection.decryption === undefined ? null : `-----BEGIN CERTIFICATE-----\n${connection.decryption.certBody}\n-----END CERTIFICATE-----\n`;
  return samlFor(connection, sp, undefined).generateServiceProviderMetadata(cert, connection.signRequests === true ? cert : null);
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
  refuseWrapping(samlResponse, connection.decryption !== undefined);
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
  // SAML Profiles §4.1.4.2/§4.1.4.3: the bearer confirmation of a solicited assertion names the
  // request it answers; an unsolicited one names none. Read from the signed assertion, because the
  // Response around it (and its InResponseTo) may be unsigned: a response stripped of its
  // InResponseTo must not pass a solicited assertion off as IdP-initiated.
  const confirmedRequest = confirmation.getAttribute('InResponseTo') ?? '';
  if (expectedRequestId !== undefined && confirmedRequest !== '' && confirmedRequest !== expectedRequestId) throw new SamlRefused('in_response_to_mismatch');
  if (expectedRequestId === undefined && confirmedRequest !== '') throw new SamlRefused('unsolicited');
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
    authnMethods: stringsOf(profile[ENTRA_AMR]).slice(0, 8),
    groups: GROUP_ATTRIBUTES.flatMap((name) => stringsOf(profile[name])),
  };
}

/** The attributes IdPs send group memberships in: generic, LDAP-style, Microsoft Entra ID, AD FS. */
const GROUP_ATTRIBUTES = ['groups', 'memberOf', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups', 'http://schemas.xmlsoap.org/claims/Group'] as const;

/** The attribute Microsoft Entra ID sends its authentication methods in. */
const ENTRA_AMR = 'http://schemas.microsoft.com/claims/authnmethodsreferences';

function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

const XML_COMMENT = 8;
const XML_PROCESSING_INSTRUCTION = 7;

/**
 * Parapet's own structural checks on the raw response, before (and independent of) node-saml's
 * signature checks — the XML signature wrapping family (XSW1–8) and comment injection:
 * - exactly one `Assertion` or `EncryptedAssertion` element anywhere in the document (a wrapped
 *   copy in `Extensions`, in a `ds:Object` or inside another assertion counts);
 * - every `ID` attribute unique (a signature reference must resolve to one element);
 * - no comment or processing instruction inside a `NameID`, `AttributeValue` or `Issuer`
 *   (`user@evil.com<!---->.corp.com`: canonicalization drops the comment, so the signature still
 *   verifies while a reader of the first text node would see another address; CVE-2017-11427 family).
 */
function refuseWrapping(samlResponse: string, mustBeEncrypted: boolean): void {
  const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
  const parse = { malformed: false };
  const flag = (): void => {
    parse.malformed = true;
  };
  let doc: Document;
  try {
    doc = new DOMParser({ errorHandler: { warning: () => undefined, error: flag, fatalError: flag } }).parseFromString(xml, 'text/xml');
  } catch (error) {
    throw new SamlRefused('malformed', { cause: error });
  }
  if (parse.malformed) throw new SamlRefused('malformed');
  const assertions = doc.getElementsByTagNameNS(SAML_ASSERTION, 'Assertion').length + doc.getElementsByTagNameNS(SAML_ASSERTION, 'EncryptedAssertion').length;
  if (assertions !== 1) throw new SamlRefused('wrapped_assertion');
  // A connection with a decryption key takes encrypted assertions only: no silent downgrade to plain text.
  if (mustBeEncrypted && doc.getElementsByTagNameNS(SAML_ASSERTION, 'Assertion').length !== 0) throw new SamlRefused('assertion_not_encrypted');
  const ids = new Set<string>();
  const all = doc.getElementsByTagName('*');
  for (let i = 0; i < all.length; i++) {
    const element = all[i];
    // xmldom answers '' for an absent attribute: only elements that carry an ID count.
    if (element === undefined || !element.hasAttribute('ID')) continue;
    const id = element.getAttribute('ID') ?? '';
    if (ids.has(id)) throw new SamlRefused('wrapped_assertion');
    ids.add(id);
  }
  for (const name of ['NameID', 'AttributeValue', 'Issuer']) {
    for (const element of Array.from(doc.getElementsByTagNameNS(SAML_ASSERTION, name))) {
      if (hasCommentOrPi(element)) throw new SamlRefused('comment_in_identity');
    }
  }
}

function hasCommentOrPi(node: Node): boolean {
  for (let child = node.firstChild; child !== null; child = child.nextSibling) {
    if (child.nodeType === XML_COMMENT || child.nodeType === XML_PROCESSING_INSTRUCTION || hasCommentOrPi(child)) return true;
  }
  return false;
}

/** A short, stable reason for the audit log from node-saml's message (never the XML). */
function classify(error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  if (/signature/i.test(message)) return 'signature_invalid';
  if (/InResponseTo/i.test(message)) return 'in_response_to_invalid';
  if (/audience/i.test(message)) return 'audience_mismatch';
  if (/not yet valid/i.test(message)) return 'not_yet_valid';
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
