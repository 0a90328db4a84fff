/**
 * The claims catalogue (docs/claims.md ids, wording from the project's CLAIMS list): the controls the
 * trust center lists. A test checks every claim id of docs/claims.md is here.
 */
export interface Claim {
  readonly id: string;
  readonly family: string;
  readonly text: string;
}

export const CLAIM_FAMILIES: readonly { readonly code: string; readonly name: string }[] = [
  { code: 'ENC', name: 'Encryption' },
  { code: 'TEN', name: 'Tenancy' },
  { code: 'AUTH', name: 'Identity and authentication' },
  { code: 'AC', name: 'Access control' },
  { code: 'AUD', name: 'Audit logging' },
  { code: 'DATA', name: 'Data lifecycle and privacy' },
  { code: 'IR', name: 'Incident response' },
  { code: 'VDP', name: 'Vulnerability disclosure' },
  { code: 'TR', name: 'Trust center' },
];

export const CLAIMS: readonly Claim[] = [
  { id: 'ENC-1', family: 'ENC', text: 'Sensitive data at rest is encrypted with AES-256-GCM, including backups and exports.' },
  { id: 'ENC-2', family: 'ENC', text: 'Keys live in a key provider (KMS/HSM/local keyring) and rotate automatically on a schedule; old versions still decrypt until retired.' },
  { id: 'ENC-3', family: 'ENC', text: 'An enterprise tenant can bring its own key (BYOK): its data keys are wrapped by a key the customer controls, and revoking it makes the tenant\'s data unreadable.' },
  { id: 'ENC-4', family: 'ENC', text: 'Secrets (API credentials, connector secrets, TOTP seeds, webhook secrets) are encrypted twice before storage and never appear in logs, errors, exports or reports.' },
  { id: 'ENC-5', family: 'ENC', text: 'Backups are encrypted with keys separate from the data keys; restore is tested automatically.' },
  { id: 'ENC-6', family: 'ENC', text: 'TLS 1.3 preferred, TLS 1.2 fallback, nothing older; AEAD cipher suites only; HSTS; plain HTTP redirects.' },
  { id: 'ENC-7', family: 'ENC', text: 'Connections to the database and between services can require TLS with certificate verification.' },
  { id: 'TEN-1', family: 'TEN', text: 'Complete logical separation between tenants: every read and write is scoped to one tenant before it runs, and the database itself (row-level security) refuses cross-tenant rows even if application code forgets a filter.' },
  { id: 'TEN-2', family: 'TEN', text: 'Cross-tenant negative tests run in CI on every change.' },
  { id: 'TEN-3', family: 'TEN', text: 'Organizations contain projects, projects contain environments (e.g. development, production); environments share nothing.' },
  { id: 'TEN-4', family: 'TEN', text: 'Caches and in-memory state are partitioned per tenant; key material is zeroized after use where the runtime allows.' },
  { id: 'AUTH-1', family: 'AUTH', text: 'Passwords: at least 12 characters, checked against a blocklist of common/breached passwords and a strength estimate; stored with argon2id.' },
  { id: 'AUTH-2', family: 'AUTH', text: 'Two-factor authentication (TOTP, with single-use recovery codes) for every account; an organization can require it.' },
  { id: 'AUTH-3', family: 'AUTH', text: 'Hardware security keys and passkeys (WebAuthn/FIDO2).' },
  { id: 'AUTH-4', family: 'AUTH', text: 'SSO with SAML 2.0 and OIDC per organization; an organization can make SSO mandatory.' },
  { id: 'AUTH-5', family: 'AUTH', text: 'Sessions: short-lived access tokens (15 min) with rotating refresh tokens (7 days) and reuse detection; idle and absolute timeouts configurable per organization (e.g. 12 h for customers, 4 h for operators); users list and revoke their sessions.' },
  { id: 'AUTH-6', family: 'AUTH', text: 'Rate limiting and lockout on every authentication endpoint.' },
  { id: 'AUTH-7', family: 'AUTH', text: 'API access with OAuth 2.0 (client credentials) and API keys; keys are scoped to minimum permissions, expire, and are flagged for rotation after 90 days.' },
  { id: 'AUTH-8', family: 'AUTH', text: 'API requests can be signed and validated (HMAC over method, path, body digest and timestamp, with replay protection).' },
  { id: 'AUTH-9', family: 'AUTH', text: 'IP allowlisting per organization.' },
  { id: 'AC-1', family: 'AC', text: 'Fine-grained role-based access control at organization, project and environment scope.' },
  { id: 'AC-2', family: 'AC', text: 'Built-in roles: Tenant Admin, Security Admin, Security Analyst, Viewer, Auditor, Service Account; custom roles from a permission catalogue.' },
  { id: 'AC-3', family: 'AC', text: 'Attribute-based conditions on grants (source IP range, MFA present, time window).' },
  { id: 'AC-4', family: 'AC', text: 'Just-in-time elevated access: a request with a reason, approved by a second person, expiring automatically, every use audited. Operator access to a tenant\'s data requires such a grant (or an explicit support request from the tenant).' },
  { id: 'AC-5', family: 'AC', text: 'Least privilege is reviewable: access-review reports list who can do what, and stale grants.' },
  { id: 'AC-6', family: 'AC', text: 'Break-glass access exists, is loud (alerts) and is logged.' },
  { id: 'AC-7', family: 'AC', text: 'Risky write operations are disabled by default and, when enabled, pass an approval workflow.' },
  { id: 'AUD-1', family: 'AUD', text: 'Every API call, authentication event, administrative action, export and privileged access is logged with actor, tenant, timestamp, source IP and outcome.' },
  { id: 'AUD-2', family: 'AUD', text: 'The audit log is immutable and tamper-evident: anyone holding the public key can prove that no entry was altered, removed or reordered.' },
  { id: 'AUD-3', family: 'AUD', text: 'Retention is configurable per tenant plan (e.g. 90 days, 13 months, 1–7 years); purging old entries keeps the rest verifiable.' },
  { id: 'AUD-4', family: 'AUD', text: 'Customers read, search and export their own audit log; the Auditor role reads it and nothing else.' },
  { id: 'AUD-5', family: 'AUD', text: 'Audit events stream to the customer\'s SIEM (syslog, webhook; OCSF or JSON).' },
  { id: 'DATA-1', family: 'DATA', text: 'Retention is set per data type and enforced by scheduled purges.' },
  { id: 'DATA-2', family: 'DATA', text: 'Data subject rights: access and export in a portable format, rectification, deletion.' },
  { id: 'DATA-3', family: 'DATA', text: 'Account and tenant deletion has a grace period (14 days) and then is final: rows purged and keys destroyed (crypto-shredding), backups included.' },
  { id: 'DATA-4', family: 'DATA', text: 'Data residency: a tenant can be pinned to a region\'s storage.' },
  { id: 'DATA-5', family: 'DATA', text: 'Backups with point-in-time recovery and tested restores.' },
  { id: 'IR-1', family: 'IR', text: 'Incidents follow documented phases: detection, triage, containment, investigation, recovery, communication, post-mortem.' },
  { id: 'IR-2', family: 'IR', text: 'Severity sets notification deadlines, tracked by timers: critical — initial notice within 1 h, updates every 2 h; high — 4 h / 6 h; medium — 24 h / daily.' },
  { id: 'IR-3', family: 'IR', text: 'Confirmed breaches of customer data: affected customers notified within the configured window (24 h, 48 h or 72 h; GDPR Art. 33 72 h to the authority); post-incident report within 14 days.' },
  { id: 'IR-4', family: 'IR', text: 'A public status page with incident updates within 15 minutes and subscriptions (email, webhook, RSS/Atom).' },
  { id: 'IR-5', family: 'IR', text: 'Security signals (brute force, refresh-token reuse, break-glass, anomalies) raise alerts automatically.' },
  { id: 'VDP-1', family: 'VDP', text: '`/.well-known/security.txt` per RFC 9116, optionally OpenPGP-signed, with contact and encryption key.' },
  { id: 'VDP-2', family: 'VDP', text: 'Reports are acknowledged within 24 h, assessed within 5 business days, and fixed within the severity\'s deadline (90 days for critical at the latest); timers track each.' },
  { id: 'VDP-3', family: 'VDP', text: 'Safe-harbor policy, researcher credit, bounty tiers.' },
  { id: 'TR-1', family: 'TR', text: 'Certifications and their status (certified, in progress, not yet) with dates.' },
  { id: 'TR-2', family: 'TR', text: 'Reports (e.g. SOC 2) are released under NDA on request, with an audit trail.' },
  { id: 'TR-3', family: 'TR', text: 'Subprocessor list; material changes announced 30 days ahead to subscribers.' },
  { id: 'TR-4', family: 'TR', text: 'Control overview: each public statement is backed by live evidence — an automated check of the running system, or a dated attestation for organizational controls (background checks, training, physical security).' },
  { id: 'TR-5', family: 'TR', text: 'Shared-responsibility statement and security questionnaire answers.' },
];
