import { readFileSync } from 'node:fs';
import { createCleartextMessage, decryptKey, readPrivateKey, sign, type PrivateKey } from 'openpgp';

/** The fields of `/.well-known/security.txt` (RFC 9116 §2.5). */
export interface SecurityTxtFields {
  /** §2.5.3, in order of preference; at least one. */
  readonly contacts: readonly string[];
  readonly expires: Date;
  readonly encryption: string | undefined;
  readonly policy: string | undefined;
  readonly acknowledgments: string | undefined;
  readonly preferredLanguages: readonly string[];
  /** §2.5.2: the URI the file is served at; required in a signed file. */
  readonly canonical: string;
  /** CSAF 2.0 §7.1.8: the `CSAF:` field naming the provider metadata (an extension field, RFC 9116 §2.4). */
  readonly csaf?: string | undefined;
}

/** Renders the file: one `Field: value` line per value, CRLF-free, ending in a newline (§2.2, §3). */
export function renderSecurityTxt(fields: SecurityTxtFields): string {
  const lines: string[] = [];
  for (const contact of fields.contacts) lines.push(`Contact: ${contact}`);
  // §2.5.5: "MUST be present … MUST NOT appear more than once", an Internet date/time (RFC 3339).
  lines.push(`Expires: ${fields.expires.toISOString().replace(/\.\d{3}Z$/, 'Z')}`);
  if (fields.encryption !== undefined) lines.push(`Encryption: ${fields.encryption}`);
  if (fields.acknowledgments !== undefined) lines.push(`Acknowledgments: ${fields.acknowledgments}`);
  if (fields.preferredLanguages.length > 0) lines.push(`Preferred-Languages: ${fields.preferredLanguages.join(', ')}`);
  lines.push(`Canonical: ${fields.canonical}`);
  if (fields.policy !== undefined) lines.push(`Policy: ${fields.policy}`);
  if (fields.csaf !== undefined) lines.push(`CSAF: ${fields.csaf}`);
  return `${lines.join('\n')}\n`;
}

/** Cleartext-signs security.txt with an OpenPGP key (§2.3: "SHOULD be digitally signed … cleartext"). */
export type SecurityTxtSigner = (text: string) => Promise<string>;

/** Loads the armored private key once at start; a wrong passphrase or file fails start-up. */
export async function loadSecurityTxtSigner(keyFile: string, passphrase: string | undefined): Promise<SecurityTxtSigner> {
  const armored = readFileSync(keyFile, 'utf8');
  let key: PrivateKey = await readPrivateKey({ armoredKey: armored });
  if (!key.isDecrypted()) {
    if (passphrase === undefined) throw new Error('PARAPET_SECURITY_PGP_KEY_FILE: the key is protected; set PARAPET_SECURITY_PGP_PASSPHRASE');
    key = await decryptKey({ privateKey: key, passphrase });
  }
  const signingKey = key;
  return async (text) => sign({ message: await createCleartextMessage({ text }), signingKeys: signingKey, format: 'armored' });
}
