import { readFileSync } from 'node:fs';
import type { Config } from '../../config/index.ts';
import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import type { SafeHtml } from '../../platform/http/html.ts';
import { PLATFORM_TENANT_ID, type AuditSigner } from '../audit/index.ts';
import type { CheckRunner } from './check-runner.ts';
import { publicResult, signEvidence, type EvidenceBundle } from './evidence.ts';
import { createPageCache } from './page-cache.ts';
import { renderSecurityTxt, type SecurityTxtSigner } from './security-txt.ts';
import { isLapsed, listAttestations } from './attestations.ts';
import { listEntries } from './trust-entries.ts';
import { renderPage, type PageName } from './trust-pages.ts';

/** Public pages are rebuilt at least this often, so "stale" and dates move on without traffic. */
const PAGE_TTL_MS = 60_000;
/** security.txt is re-rendered daily, so its Expires stays within a day of the configured span. */
const SECURITY_TXT_TTL_MS = 86_400_000;

const STYLESHEET = readFileSync(new URL('./static/trust.css', import.meta.url), 'utf8');

/** The trust center's public side: cached pages, the stylesheet, evidence and security.txt. */
export function createTrustCenter(deps: {
  config: Pick<Config, 'publicUrl' | 'trustName' | 'trustLogoUrl' | 'trustAccentColor' | 'trustStatusUrl' | 'trustDisclosureUrl' | 'trustCheckIntervalMinutes' | 'securityContacts' | 'securityTxtExpiresDays' | 'securityTxtPolicyUrl' | 'securityTxtAcknowledgmentsUrl' | 'securityTxtEncryptionUrl' | 'securityTxtLanguages' | 'securityTxtCsafUrl'>;
  transactor: AppTransactor;
  clock: Clock;
  signer: Pick<AuditSigner, 'signer' | 'verifierKey'>;
  runner: Pick<CheckRunner, 'checks' | 'latest'>;
  securityTxtSigner: SecurityTxtSigner | undefined;
  /** The subscribe form of the subprocessors page (TR-3). */
  subscribeForm?: SafeHtml;
}) {
  const { config, transactor, clock } = deps;
  const pages = createPageCache<string>({ clock, ttlMs: PAGE_TTL_MS });
  const evidence = createPageCache<EvidenceBundle>({ clock, ttlMs: PAGE_TTL_MS });
  const securityTxt = createPageCache<string>({ clock, ttlMs: SECURITY_TXT_TTL_MS });
  const absolute = (link: string | undefined) => (link === undefined ? undefined : new URL(link, config.publicUrl).href);
  const stylesheet = STYLESHEET.replace('--accent: #1f4e8c;', `--accent: ${config.trustAccentColor};`);

  const latestPublic = async () => (await deps.runner.latest()).map(publicResult);

  return {
    stylesheet,
    page: (name: PageName) =>
      pages.get(name, async () => {
        const [results, entries, attestations] = await Promise.all([latestPublic(), transactor.withTenant(PLATFORM_TENANT_ID, listEntries), name === 'controls' ? transactor.withTenant(PLATFORM_TENANT_ID, listAttestations) : []]);
        const now = clock.now();
        return renderPage(name, {
          branding: { name: config.trustName, logoUrl: config.trustLogoUrl, statusUrl: config.trustStatusUrl, disclosureUrl: config.trustDisclosureUrl },
          results,
          entries,
          now,
          // Two missed runs and a margin: the schedule has stopped or the checks hang.
          staleAfterMs: (2 * config.trustCheckIntervalMinutes + 5) * 60_000,
          checks: deps.runner.checks.map((c) => ({ id: c.id, claims: c.claims, title: c.title })),
          subscribe: name === 'subprocessors' ? deps.subscribeForm : undefined,
          // Lapsed is computed at render; the page lives at most 60 s, so a lapse shows within a minute.
          attestations: attestations.map((a) => ({ id: a.id, title: a.title, owner: a.owner, attested_on: a.attested_on, claims: a.claims, lapsed: isLapsed(a, now) })),
        });
      }),
    evidence: () => evidence.get('evidence', async () => signEvidence(deps.signer, await latestPublic(), clock.now())),
    /** `undefined` when no security contact is configured (RFC 9116 requires one). */
    securityTxt: async (): Promise<string | undefined> => {
      if (config.securityContacts.length === 0) return undefined;
      return securityTxt.get('security.txt', async () => {
        const text = renderSecurityTxt({
          contacts: config.securityContacts,
          expires: new Date(clock.now().getTime() + config.securityTxtExpiresDays * 86_400_000),
          encryption: config.securityTxtEncryptionUrl,
          policy: config.securityTxtPolicyUrl ?? absolute(config.trustDisclosureUrl),
          acknowledgments: config.securityTxtAcknowledgmentsUrl,
          preferredLanguages: config.securityTxtLanguages,
          canonical: new URL('/.well-known/security.txt', config.publicUrl).href,
          csaf: config.securityTxtCsafUrl,
        });
        return deps.securityTxtSigner === undefined ? text : deps.securityTxtSigner(text);
      });
    },
    /** Forgets rendered pages and evidence: after new results or an edited entry. */
    invalidate: () => {
      pages.invalidate();
      evidence.invalidate();
    },
  };
}

export type TrustCenter = ReturnType<typeof createTrustCenter>;
