import { createHash } from 'node:crypto';
import { canonicalJson, openNote, parseVerifierKey, signNote, type AuditSigner } from '../audit/index.ts';
import type { CheckResultRow } from './check-results.ts';

export const EVIDENCE_FORMAT = 'parapet-trust-evidence/1' as const;

/** One check's latest result as published: no private detail. */
export interface PublicResult {
  readonly id: string;
  readonly check_id: string;
  readonly claims: readonly string[];
  readonly status: string;
  readonly statement: string;
  readonly started_at: string;
  readonly finished_at: string;
}

/**
 * The evidence bundle (TR-4): the latest result of every check and a C2SP signed note, by the audit
 * log's Ed25519 key, over the SHA-256 of the RFC 8785 canonical form of everything else in it. The
 * note's origin is `<log key name>/trust-evidence`; its second line is not a tree size, so it can
 * never be taken for an audit checkpoint signed by the same key.
 */
export interface EvidenceBundle {
  readonly format: typeof EVIDENCE_FORMAT;
  readonly generated_at: string;
  readonly verifier_key: string;
  readonly results: readonly PublicResult[];
  /** Present in an organization's own report (issue 20, item 9): the results are scoped to it; signed with the rest. */
  readonly organization_id?: string;
  readonly note: string;
}

export function publicResult(row: CheckResultRow): PublicResult {
  return { id: row.id, check_id: row.check_id, claims: [...row.claims], status: row.status, statement: row.statement, started_at: row.started_at.toISOString(), finished_at: row.finished_at.toISOString() };
}

function digest(bundle: Omit<EvidenceBundle, 'note'>): string {
  // An organization's report binds its organization id; the deployment's bundle has none (and its digest is unchanged).
  const scope = bundle.organization_id === undefined ? {} : { organization_id: bundle.organization_id };
  return createHash('sha256').update(canonicalJson({ format: bundle.format, generated_at: bundle.generated_at, verifier_key: bundle.verifier_key, results: bundle.results, ...scope })).digest('base64');
}

const noteBody = (origin: string, sha: string) => `${origin}\n${EVIDENCE_FORMAT}\nsha256 ${sha}\n`;

export function evidenceOrigin(signer: Pick<AuditSigner, 'signer'>): string {
  return `${signer.signer.name}/trust-evidence`;
}

export function signEvidence(signer: Pick<AuditSigner, 'signer' | 'verifierKey'>, results: readonly PublicResult[], now: Date, organizationId?: string): EvidenceBundle {
  const unsigned = { format: EVIDENCE_FORMAT, generated_at: now.toISOString(), verifier_key: signer.verifierKey, results, ...(organizationId === undefined ? {} : { organization_id: organizationId }) };
  return { ...unsigned, note: signNote(noteBody(evidenceOrigin(signer), digest(unsigned)), signer.signer) };
}

export type EvidenceVerdict = { readonly ok: true; readonly results: readonly PublicResult[]; readonly organizationId?: string } | { readonly ok: false; readonly reason: string };

/**
 * Verifies a bundle offline with a verifier key the verifier already trusts (never the key the
 * bundle names: that one only says which key to expect).
 */
export function verifyEvidence(bundle: unknown, trustedKey: string): EvidenceVerdict {
  if (typeof bundle !== 'object' || bundle === null) return { ok: false, reason: 'not a JSON object' };
  const b = bundle as Partial<Record<keyof EvidenceBundle, unknown>>;
  if (b.format !== EVIDENCE_FORMAT) return { ok: false, reason: `format is not ${EVIDENCE_FORMAT}` };
  if (typeof b.generated_at !== 'string' || typeof b.verifier_key !== 'string' || !Array.isArray(b.results) || typeof b.note !== 'string') return { ok: false, reason: 'a field is missing or has the wrong type' };
  if (b.organization_id !== undefined && typeof b.organization_id !== 'string') return { ok: false, reason: 'a field is missing or has the wrong type' };
  const organizationId = b.organization_id;
  let verifier;
  try {
    verifier = parseVerifierKey(trustedKey);
  } catch {
    return { ok: false, reason: 'the trusted verifier key is malformed' };
  }
  let body: string;
  try {
    const opened = openNote(b.note, [verifier]);
    if (opened.verifiedBy.length === 0) return { ok: false, reason: 'the note is not signed by the trusted key' };
    body = opened.body;
  } catch (error) {
    return { ok: false, reason: `the signature does not verify (${error instanceof Error ? error.message : 'invalid note'})` };
  }
  const expected = noteBody(`${verifier.name}/trust-evidence`, digest({ format: EVIDENCE_FORMAT, generated_at: b.generated_at, verifier_key: b.verifier_key, results: b.results as PublicResult[], ...(organizationId === undefined ? {} : { organization_id: organizationId }) }));
  if (body !== expected) return { ok: false, reason: 'the results differ from what was signed' };
  return { ok: true, results: b.results as PublicResult[], ...(organizationId === undefined ? {} : { organizationId }) };
}
