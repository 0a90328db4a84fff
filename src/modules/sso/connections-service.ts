import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { uuidv7, type Random } from '../../platform/crypto/random.ts';
import { isUniqueViolation } from '../../platform/db/index.ts';
import { AppError } from '../../platform/http/errors.ts';
import { isBuiltInRole, type Caller } from '../access/index.ts';
import type { AuditRecorder } from '../audit/index.ts';
import type { FieldEncryption } from '../keys/index.ts';
import { IdpFetchError, type IdpFetch } from './idp-fetch.ts';
import { parseIdpMetadata } from './saml-sp.ts';
import * as store from './sso-store.ts';
import type { SsoIntegrity } from './sso-integrity.ts';

/** A connection as an administrator creates or edits it (the secret write-only). */
export interface ConnectionInput {
  readonly name: string;
  readonly protocol: 'oidc' | 'saml';
  readonly defaultRole: string;
  readonly enabled?: boolean | undefined;
  readonly oidc?: { readonly issuer: string; readonly clientId: string; readonly clientSecret?: string | undefined; readonly scopes?: string | undefined } | undefined;
  readonly saml?: { readonly metadataXml?: string | undefined; readonly metadataUrl?: string | undefined; readonly idpEntityId?: string | undefined; readonly idpSsoUrl?: string | undefined; readonly idpCerts?: readonly string[] | undefined; readonly allowIdpInitiated?: boolean | undefined } | undefined;
}

/** A connection as the API shows it: never the client secret, only whether one is set. */
export interface ConnectionView {
  readonly id: string;
  readonly name: string;
  readonly protocol: 'oidc' | 'saml';
  readonly enabled: boolean;
  readonly defaultRole: string;
  readonly oidc: { readonly issuer: string; readonly clientId: string; readonly scopes: string; readonly hasClientSecret: boolean } | null;
  readonly saml: { readonly idpEntityId: string; readonly idpSsoUrl: string; readonly idpCertFingerprints: readonly string[]; readonly allowIdpInitiated: boolean; readonly metadataUrl: string | null; readonly spEncryptionCertFingerprint: string | null; readonly signRequests: boolean } | null;
  readonly createdAt: Date;
}

export interface DomainView {
  readonly id: string;
  readonly domain: string;
  readonly connectionId: string | null;
  readonly verified: boolean;
  readonly verifiedAt: Date | null;
  /** How it was proved: `dns_txt` or `https_well_known` (null while unverified). */
  readonly verifiedBy: string | null;
  /** The TXT record that proves the domain: its name and value. */
  readonly txtRecord: { readonly name: string; readonly value: string };
  /** Or the HTTPS file that proves it: its URL and the body it must hold. */
  readonly wellKnown: { readonly url: string; readonly body: string };
}

export const TXT_PREFIX = '_parapet-challenge';
export const TXT_VALUE_PREFIX = 'parapet-domain-verification=';
/** The well-known path (RFC 8615) of the HTTPS proof of a domain. */
export const WELL_KNOWN_PATH = '/.well-known/parapet-domain-verification';
/** IdP metadata documents and well-known files are read up to this size. */
const METADATA_MAX_BYTES = 1_000_000;
const WELL_KNOWN_MAX_BYTES = 4_096;

/** A PEM body or a full PEM certificate, as one canonical base64 body; undefined when it does not parse. */
export function canonicalCert(text: string): string | undefined {
  const body = text.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+=*$/.test(body)) return undefined;
  try {
    // #6682 (Better Auth): a certificate that fails to parse is refused here, so validation never
    // runs with a fallback key or none.
    new X509Certificate(`-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`);
    return body;
  } catch {
    return undefined;
  }
}

function fingerprint(body: string): string {
  return new X509Certificate(`-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`).fingerprint256;
}

function toView(row: Omit<store.ConnectionRow, 'integrity_mac'>): ConnectionView {
  return {
    id: row.id,
    name: row.name,
    protocol: row.protocol,
    enabled: row.enabled,
    defaultRole: row.default_role,
    oidc: row.protocol === 'oidc' ? { issuer: row.oidc_issuer ?? '', clientId: row.oidc_client_id ?? '', scopes: row.oidc_scopes ?? 'openid email profile', hasClientSecret: row.oidc_client_secret_sealed !== null } : null,
    saml: row.protocol === 'saml' ? { idpEntityId: row.saml_idp_entity_id ?? '', idpSsoUrl: row.saml_idp_sso_url ?? '', idpCertFingerprints: (row.saml_idp_certs ?? []).map(fingerprint), allowIdpInitiated: row.saml_allow_idp_initiated, metadataUrl: row.saml_metadata_url, spEncryptionCertFingerprint: row.saml_sp_encryption_cert === null ? null : fingerprint(row.saml_sp_encryption_cert), signRequests: row.saml_sign_requests } : null,
    createdAt: row.created_at,
  };
}

function domainView(row: store.DomainRow): DomainView {
  const proof = `${TXT_VALUE_PREFIX}${row.verification_token}`;
  return { id: row.id, domain: row.domain, connectionId: row.connection_id, verified: row.verified_at !== null, verifiedAt: row.verified_at, verifiedBy: row.verified_by, txtRecord: { name: `${TXT_PREFIX}.${row.domain}`, value: proof }, wellKnown: { url: `https://${row.domain}${WELL_KNOWN_PATH}`, body: proof } };
}

function invalid(pointer: string, detail: string): AppError {
  return new AppError('invalid_request', { errors: [{ pointer, detail }] });
}

/** The SAML fields of an input, from metadata (uploaded or fetched) or given one by one; every certificate must parse. */
function samlFields(input: NonNullable<ConnectionInput['saml']>, fetchedXml?: string): { entityId: string; ssoUrl: string; certs: string[] } {
  const xml = fetchedXml ?? input.metadataXml;
  const fromMetadata = xml === undefined ? undefined : parseIdpMetadata(xml);
  if (xml !== undefined && fromMetadata === undefined) throw new AppError('sso_metadata_invalid');
  const entityId = input.idpEntityId ?? fromMetadata?.entityId;
  const ssoUrl = input.idpSsoUrl ?? fromMetadata?.ssoUrl;
  const raw = input.idpCerts ?? fromMetadata?.certs ?? [];
  if (entityId === undefined || ssoUrl === undefined) throw invalid('/saml', 'metadata_xml, or idp_entity_id and idp_sso_url, are required');
  if (!/^https?:\/\//.test(ssoUrl)) throw invalid('/saml/idp_sso_url', 'must be an http(s) URL');
  if (raw.length < 1 || raw.length > 2) throw invalid('/saml/idp_certs', 'one or two certificates (two during a rollover)');
  const certs = raw.map(canonicalCert);
  if (certs.some((c) => c === undefined)) throw new AppError('sso_metadata_invalid');
  return { entityId, ssoUrl, certs: certs.filter((c): c is string => c !== undefined) };
}

/**
 * An SP decryption key pair as an administrator gives it: an RSA private key (PEM, PKCS#1 or #8)
 * and a certificate (PEM) for its public key, which the IdP encrypts to. Each must parse and the
 * two must belong together; otherwise `sso_metadata_invalid` (nothing is echoed).
 */
function spKeyPair(input: { privateKeyPem: string; certificatePem: string }): { keyPem: string; certBody: string } {
  const certBody = canonicalCert(input.certificatePem);
  if (certBody === undefined) throw new AppError('sso_metadata_invalid');
  try {
    const key = createPrivateKey(input.privateKeyPem);
    if (key.asymmetricKeyType !== 'rsa') throw new AppError('sso_metadata_invalid');
    const cert = new X509Certificate(`-----BEGIN CERTIFICATE-----\n${certBody}\n-----END CERTIFICATE-----\n`);
    const der = (k: ReturnType<typeof createPublicKey>) => k.export({ type: 'spki', format: 'der' });
    if (!der(createPublicKey(key)).equals(der(cert.publicKey))) throw new AppError('sso_metadata_invalid');
    return { keyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(), certBody };
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('sso_metadata_invalid', { cause: error });
  }
}

/** Connections and domains of an organization (issue 18 parts 1 and 2). */
export function createConnectionsService(deps: {
  transactor: AppTransactor;
  clock: Clock;
  random: Random;
  audit: Pick<AuditRecorder, 'record'>;
  fields: Pick<FieldEncryption, 'encryptField' | 'decryptField'>;
  dnsServers: readonly string[];
  /** GETs a tenant-given URL through the outbound address guard (IdP metadata, a domain's well-known file). */
  fetch: IdpFetch;
  /** Told when a connection changes, so cached IdP configuration is dropped. */
  changed: (connectionId: string) => void;
  /** Issue 13: row MACs of connections and domain verifications. */
  integrity: SsoIntegrity;
}) {
  const { integrity } = deps;
  const { transactor, clock, random, audit, fields } = deps;

  /** Just-in-time members get a built-in role (custom roles: planned). */
  function assertRole(role: string): void {
    if (!isBuiltInRole(role) || role === 'service_account') throw invalid('/default_role', 'a built-in role other than service_account');
  }

  /** The IdP metadata at `url`, fetched through the address guard; a refused address is the administrator's mistake (400). */
  async function fetchMetadata(url: string): Promise<string> {
    try {
      return await deps.fetch(url, METADATA_MAX_BYTES);
    } catch (error) {
      if (!(error instanceof IdpFetchError)) throw error;
      if (error.reason === 'invalid_url') throw invalid('/saml/metadata_url', 'must be an absolute https URL without credentials');
      if (error.reason === 'address_not_allowed') throw invalid('/saml/metadata_url', 'is or resolves to a private or reserved address that this Parapet may not fetch from');
      throw new AppError('sso_metadata_unreachable', { cause: error });
    }
  }

  /** Whether `https://<domain>/.well-known/parapet-domain-verification` holds exactly `proof` (any failure: no). */
  async function wellKnownProves(domain: string, proof: string): Promise<boolean> {
    try {
      return (await deps.fetch(`https://${domain}${WELL_KNOWN_PATH}`, WELL_KNOWN_MAX_BYTES)).trim() === proof;
    } catch (error) {
      if (error instanceof IdpFetchError) return false;
      throw error;
    }
  }

  async function txtRecords(name: string): Promise<string[]> {
    const resolver = new Resolver({ timeout: 2000, tries: 1 });
    if (deps.dnsServers.length > 0) resolver.setServers([...deps.dnsServers]);
    try {
      return (await resolver.resolveTxt(name)).map((chunks) => chunks.join(''));
    } catch {
      return [];
    }
  }

  return {
    /** `by.principal` is undefined for the setup portal (an IT administrator without an account; the actor names the link). */
    create: async (by: Omit<Caller, 'principal'> & { readonly principal: Caller['principal'] | undefined }, tenantId: string, input: ConnectionInput): Promise<ConnectionView> => {
      assertRole(input.defaultRole);
      const id = uuidv7(clock, random);
      const now = clock.now();
      let row: Omit<store.ConnectionRow, 'integrity_mac'> = { tenant_id: tenantId, id, name: input.name, protocol: input.protocol, enabled: input.enabled ?? true, default_role: input.defaultRole, oidc_issuer: null, oidc_client_id: null, oidc_client_secret_sealed: null, oidc_scopes: null, saml_idp_entity_id: null, saml_idp_sso_url: null, saml_idp_certs: null, saml_allow_idp_initiated: false, saml_metadata_url: null, saml_sp_decryption_key_sealed: null, saml_sp_encryption_cert: null, saml_sign_requests: false, created_at: now, updated_at: now };
      if (input.protocol === 'oidc') {
        if (input.oidc === undefined) throw invalid('/oidc', 'required for an OIDC connection');
        if (!/^https?:\/\//.test(input.oidc.issuer)) throw invalid('/oidc/issuer', 'must be an http(s) URL');
        // ENC-4: the client secret is envelope-encrypted under the organization's key, bound to this row.
        const sealed = input.oidc.clientSecret === undefined ? null : await fields.encryptField(store.clientSecretContext(tenantId, id), input.oidc.clientSecret);
        row = { ...row, oidc_issuer: input.oidc.issuer, oidc_client_id: input.oidc.clientId, oidc_client_secret_sealed: sealed, oidc_scopes: input.oidc.scopes ?? 'openid email profile' };
      } else {
        if (input.saml === undefined) throw invalid('/saml', 'required for a SAML connection');
        if (input.saml.metadataUrl !== undefined && input.saml.metadataXml !== undefined) throw invalid('/saml', 'give metadata_xml or metadata_url, not both');
        const saml = samlFields(input.saml, input.saml.metadataUrl === undefined ? undefined : await fetchMetadata(input.saml.metadataUrl));
        row = { ...row, saml_idp_entity_id: saml.entityId, saml_idp_sso_url: saml.ssoUrl, saml_idp_certs: saml.certs, saml_allow_idp_initiated: input.saml.allowIdpInitiated ?? false, saml_metadata_url: input.saml.metadataUrl ?? null };
      }
      await transactor.withTenant(
        tenantId,
        async (tx) => {
          await store.insertConnection(tx, integrity, row);
          await audit.record(tx, tenantId, { action: 'sso.connection_created', actor: by.actor, outcome: 'success', source: by.source, targets: [{ type: 'sso_connection', id, name: input.name }], metadata: { protocol: input.protocol, default_role: input.defaultRole, idp_initiated: row.saml_allow_idp_initiated } });
        },
        by.principal?.kind === 'user' ? by.principal.userId : undefined,
      );
      return toView(row);
    },

    list: async (tenantId: string): Promise<ConnectionView[]> => (await transactor.withTenant(tenantId, (tx) => store.listConnections(tx, integrity, tenantId))).map(toView),

    get: async (tenantId: string, id: string): Promise<ConnectionView> => {
      const row = await transactor.withTenant(tenantId, (tx) => store.findConnection(tx, integrity, tenantId, id));
      if (row === undefined) throw new AppError('not_found');
      return toView(row);
    },

    /** Changes the SAML certificates (rollover: one or two), IdP-initiated sign-in, the default role or `enabled`. */
    update: async (
      by: Caller,
      tenantId: string,
      id: string,
      changes: { enabled?: boolean | undefined; defaultRole?: string | undefined; idpCerts?: readonly string[] | undefined; allowIdpInitiated?: boolean | undefined; spDecryption?: { privateKeyPem: string; certificatePem: string } | null | undefined; signRequests?: boolean | undefined },
    ): Promise<ConnectionView> => {
      if (changes.defaultRole !== undefined) assertRole(changes.defaultRole);
      const pair = changes.spDecryption === undefined || changes.spDecryption === null ? changes.spDecryption : spKeyPair(changes.spDecryption);
      // ENC-4: the SP's private key is envelope-encrypted under the organization's key, bound to this
      // row — before the transaction below (sealing reads the tenant key in a transaction of its own).
      const sealed = pair === undefined || pair === null ? pair : { saml_sp_decryption_key_sealed: await fields.encryptField(store.spDecryptionKeyContext(tenantId, id), pair.keyPem), saml_sp_encryption_cert: pair.certBody };
      let certs: string[] | undefined;
      if (changes.idpCerts !== undefined) {
        if (changes.idpCerts.length < 1 || changes.idpCerts.length > 2) throw invalid('/idp_certs', 'one or two certificates (two during a rollover)');
        const parsed = changes.idpCerts.map(canonicalCert);
        if (parsed.some((c) => c === undefined)) throw new AppError('sso_metadata_invalid');
        certs = parsed.filter((c): c is string => c !== undefined);
      }
      const row = await transactor.withTenant(
        tenantId,
        async (tx) => {
          const current = await store.findConnection(tx, integrity, tenantId, id, true);
          if (current === undefined) throw new AppError('not_found');
          if ((certs !== undefined || changes.allowIdpInitiated !== undefined || pair !== undefined || changes.signRequests !== undefined) && current.protocol !== 'saml') throw invalid('/idp_certs', 'only for SAML connections');
          const keyAfter = pair === undefined ? current.saml_sp_decryption_key_sealed !== null : pair !== null;
          const signAfter = changes.signRequests ?? (keyAfter && current.saml_sign_requests);
          if (signAfter && !keyAfter) throw invalid('/sign_requests', 'set sp_decryption (the SP key pair) first');
          const set: Partial<store.ConnectionRow> = {
            updated_at: clock.now(),
            ...(changes.enabled === undefined ? {} : { enabled: changes.enabled }),
            ...(changes.defaultRole === undefined ? {} : { default_role: changes.defaultRole }),
            ...(certs === undefined ? {} : { saml_idp_certs: certs }),
            ...(changes.allowIdpInitiated === undefined ? {} : { saml_allow_idp_initiated: changes.allowIdpInitiated }),
            ...(sealed === undefined ? {} : sealed === null ? { saml_sp_decryption_key_sealed: null, saml_sp_encryption_cert: null } : sealed),
            ...(signAfter === current.saml_sign_requests ? {} : { saml_sign_requests: signAfter }),
          };
          const updated = await store.updateConnection(tx, integrity, current, set);
          await audit.record(tx, tenantId, { action: 'sso.connection_updated', actor: by.actor, outcome: 'success', source: by.source, targets: [{ type: 'sso_connection', id }], metadata: { fields: Object.keys(set).filter((k) => k !== 'updated_at').join(',') } });
          return updated;
        },
        by.principal.kind === 'user' ? by.principal.userId : undefined,
      );
      deps.changed(id);
      return toView(row);
    },

    /**
     * Fetches the connection's metadata URL again and takes its entity id, SSO URL and signing
     * certificates (an IdP rolling its certificate publishes both for a while: both are accepted).
     */
    refreshMetadata: async (by: Caller, tenantId: string, id: string): Promise<ConnectionView> => {
      const current = await transactor.withTenant(tenantId, (tx) => store.findConnection(tx, integrity, tenantId, id));
      if (current === undefined) throw new AppError('not_found');
      if (current.saml_metadata_url === null) throw invalid('/saml/metadata_url', 'this connection has no metadata URL');
      const saml = samlFields({ metadataUrl: current.saml_metadata_url }, await fetchMetadata(current.saml_metadata_url));
      const row = await transactor.withTenant(
        tenantId,
        async (tx) => {
          // Read again under a row lock in this transaction: the MAC is recomputed over what is stored now.
          const locked = await store.findConnection(tx, integrity, tenantId, id, true);
          if (locked === undefined) throw new AppError('not_found');
          const set: Partial<store.ConnectionRow> = { updated_at: clock.now(), saml_idp_entity_id: saml.entityId, saml_idp_sso_url: saml.ssoUrl, saml_idp_certs: saml.certs };
          const updated = await store.updateConnection(tx, integrity, locked, set);
          await audit.record(tx, tenantId, { action: 'sso.connection_metadata_refreshed', actor: by.actor, outcome: 'success', source: by.source, targets: [{ type: 'sso_connection', id }], metadata: { certificates: saml.certs.length, entity_id_changed: saml.entityId !== current.saml_idp_entity_id } });
          return updated;
        },
        by.principal.kind === 'user' ? by.principal.userId : undefined,
      );
      deps.changed(id);
      return toView(row);
    },

    remove: async (by: Caller, tenantId: string, id: string): Promise<void> => {
      await transactor.withTenant(tenantId, async (tx) => {
        // Domains routing to it would send their members' sign-ins nowhere (and, with SSO required, lock them out).
        if (await store.connectionRoutedByDomains(tx, tenantId, id)) throw new AppError('sso_connection_in_use');
        if (!(await store.deleteConnection(tx, tenantId, id))) throw new AppError('not_found');
        await audit.record(tx, tenantId, { action: 'sso.connection_deleted', actor: by.actor, outcome: 'success', source: by.source, targets: [{ type: 'sso_connection', id }] });
      });
      deps.changed(id);
    },

    /** The SP decryption key pair of a SAML connection with encrypted assertions (sign-in and SP metadata only; the key never leaves). */
    spDecryption: async (row: store.ConnectionRow): Promise<{ keyPem: string; certBody: string } | undefined> =>
      row.saml_sp_decryption_key_sealed === null || row.saml_sp_encryption_cert === null ? undefined : { keyPem: await fields.decryptField(store.spDecryptionKeyContext(row.tenant_id, row.id), row.saml_sp_decryption_key_sealed), certBody: row.saml_sp_encryption_cert },

    /** The decrypted client secret of an OIDC connection (sign-in only; never returned by the API). */
    clientSecret: async (row: store.ConnectionRow): Promise<string | undefined> =>
      row.oidc_client_secret_sealed === null ? undefined : fields.decryptField(store.clientSecretContext(row.tenant_id, row.id), row.oidc_client_secret_sealed),

    claimDomain: async (by: Caller, tenantId: string, input: { domain: string; connectionId?: string | undefined }): Promise<DomainView> => {
      const domain = input.domain.trim().toLowerCase().replace(/\.$/, '');
      if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/.test(domain) || domain.length > 253) throw invalid('/domain', 'a DNS domain name, e.g. example.com');
      const row: store.DomainRow = { tenant_id: tenantId, id: uuidv7(clock, random), domain, connection_id: input.connectionId ?? null, verification_token: random(24).toString('base64url'), verified_at: null, verified_by: null, created_at: clock.now(), integrity_mac: null };
      await transactor.withTenant(tenantId, async (tx) => {
        if (input.connectionId !== undefined && (await store.findConnection(tx, integrity, tenantId, input.connectionId)) === undefined) throw new AppError('not_found');
        if ((await store.findDomainByName(tx, tenantId, domain)) !== undefined) throw new AppError('conflict');
        await store.insertDomain(tx, row);
        await audit.record(tx, tenantId, { action: 'sso.domain_claimed', actor: by.actor, outcome: 'success', source: by.source, targets: [{ type: 'sso_domain', id: row.id, name: domain }] });
      });
      return domainView(row);
    },

    /**
     * The organization that verified `domain` (DNS TXT), across organizations: its id only, or
     * undefined. For other modules' rules (the trust center approves NDA requests from it).
     */
    organizationOfVerifiedDomain: async (domain: string): Promise<string | undefined> => (await transactor.withPlatform((tx) => store.routeForDomain(tx, integrity, domain.toLowerCase())))?.tenant_id,

    listDomains: async (tenantId: string): Promise<DomainView[]> => (await transactor.withTenant(tenantId, (tx) => store.listDomains(tx, integrity, tenantId))).map(domainView),

    /**
     * Looks up `_parapet-challenge.<domain>` TXT, then (when no record proves it) GETs
     * `https://<domain>/.well-known/parapet-domain-verification` through the address guard, and
     * marks the domain verified when either holds this claim's token. A domain another organization
     * verified first stays unverified here (`domain_taken`).
     */
    verifyDomain: async (by: Caller, tenantId: string, id: string): Promise<DomainView> => {
      const row = await transactor.withTenant(tenantId, (tx) => store.findDomain(tx, integrity, tenantId, id));
      if (row === undefined) throw new AppError('not_found');
      if (row.verified_at !== null) return domainView(row);
      const proof = `${TXT_VALUE_PREFIX}${row.verification_token}`;
      const records = await txtRecords(`${TXT_PREFIX}.${row.domain}`);
      const method = records.includes(proof) ? 'dns_txt' : (await wellKnownProves(row.domain, proof)) ? 'https_well_known' : undefined;
      const outcome = await transactor.withTenant(tenantId, async (tx) => {
        const target = [{ type: 'sso_domain', id, name: row.domain }];
        if (method === undefined) {
          await audit.record(tx, tenantId, { action: 'sso.domain_verification_failed', actor: by.actor, outcome: 'failure', source: by.source, targets: target, metadata: { records_found: records.length } });
          return 'not_verified' as const;
        }
        // The partial unique index refuses a second organization's verification, also a concurrent one.
        const taken = await store.routeForDomain(tx, integrity, row.domain);
        if (taken !== undefined && taken.tenant_id !== tenantId) {
          await audit.record(tx, tenantId, { action: 'sso.domain_verification_failed', actor: by.actor, outcome: 'failure', source: by.source, targets: target, metadata: { reason: 'verified_by_another_organization' } });
          return 'taken' as const;
        }
        const now = clock.now();
        await store.markDomainVerified(tx, integrity, row, now, method);
        await audit.record(tx, tenantId, { action: 'sso.domain_verified', actor: by.actor, outcome: 'success', source: by.source, targets: target, metadata: { method } });
        return { ...row, verified_at: now, verified_by: method };
      }).catch((error: unknown) => {
        // Another organization verified the same domain at the same moment: the index decided.
        if (isUniqueViolation(error)) return 'taken' as const;
        throw error;
      });
      if (outcome === 'not_verified') throw new AppError('domain_not_verified');
      if (outcome === 'taken') throw new AppError('domain_taken');
      return domainView(outcome);
    },

    removeDomain: async (by: Caller, tenantId: string, id: string): Promise<void> => {
      await transactor.withTenant(tenantId, async (tx) => {
        if (!(await store.deleteDomain(tx, tenantId, id))) throw new AppError('not_found');
        await audit.record(tx, tenantId, { action: 'sso.domain_removed', actor: by.actor, outcome: 'success', source: by.source, targets: [{ type: 'sso_domain', id }] });
      });
    },
  };
}

export type ConnectionsService = ReturnType<typeof createConnectionsService>;
