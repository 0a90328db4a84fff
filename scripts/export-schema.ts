// Prints docs/data-export.schema.json: the JSON Schema of a personal data export (DATA-2) with
// every section Parapet's modules contribute, in the order the app collects them (module order). A test checks
// the file holds exactly this, that it matches the running app's sections, and that real exports validate.
import { ACCESS_REQUESTS_SECTION, RISKY_WRITES_SECTION } from '../src/modules/access-requests/index.ts';
import { ACCOUNT_LINKS_SECTION, INVITATIONS_SECTION } from '../src/modules/accounts/index.ts';
import { API_KEYS_SECTION } from '../src/modules/api-keys/index.ts';
import { MFA_SECTION } from '../src/modules/identity/mfa/index.ts';
import { BUILT_IN_SECTIONS, exportSchema, type PersonalDataSection } from '../src/modules/lifecycle/index.ts';
import { PASSKEYS_SECTION } from '../src/modules/passkeys/index.ts';
import { SCIM_SECTION } from '../src/modules/scim/index.ts';
import { REFRESH_TOKEN_FAMILIES_SECTION } from '../src/modules/tokens/index.ts';
import { NDA_REQUESTS_SECTION } from '../src/modules/trust/index.ts';

/** Every section of the export, as the app registers them. */
export const EXPORT_SECTIONS: readonly PersonalDataSection[] = [
  // In module order (src/modules/index.ts), as the app collects them.
  MFA_SECTION,
  API_KEYS_SECTION,
  REFRESH_TOKEN_FAMILIES_SECTION,
  PASSKEYS_SECTION,
  INVITATIONS_SECTION,
  ACCOUNT_LINKS_SECTION,
  ...BUILT_IN_SECTIONS,
  ACCESS_REQUESTS_SECTION,
  RISKY_WRITES_SECTION,
  NDA_REQUESTS_SECTION,
  SCIM_SECTION,
];

export function publishedExportSchema(): string {
  return `${JSON.stringify(exportSchema(EXPORT_SECTIONS), null, 2)}\n`;
}

if (import.meta.main) process.stdout.write(publishedExportSchema());
