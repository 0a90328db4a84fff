import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { uuidv7, type Random } from '../../platform/crypto/random.ts';
import { AppError } from '../../platform/http/errors.ts';
import { PLATFORM_TENANT_ID, type AuditContext, type AuditRecorder } from '../audit/index.ts';
import type { DisclosureAdvisoriesTable, Severity } from './disclosure-tables.ts';
import { DEFAULT_SETTINGS, type Settings } from './settings.ts';

/** Where the CSAF documents and the provider metadata live (CSAF 2.0 §7.1.9, §7.1.13). */
export const CSAF_ROOT = '/.well-known/csaf';
export const CSAF_DIRECTORY = `${CSAF_ROOT}/white`;
export const ADVISORIES_PAGE = '/security/advisories';

export type AdvisoryRow = Omit<DisclosureAdvisoriesTable, 'tenant_id'>;

/** An advisory with what its pages and CSAF document show of the report: severity, score and the credit consented to. */
export interface Advisory extends AdvisoryRow {
  readonly severity: Severity;
  readonly cvss_vector: string | null;
  readonly cvss_score: number | null;
  /** `null`: no credit consented; `{ name: null }`: credited anonymously. */
  readonly credit: { readonly name: string | null } | null;
}

export interface AdvisoryInput {
  readonly trackingId?: string | undefined;
  readonly title: string;
  readonly summary: string;
  readonly productName: string;
  readonly affectedVersions: string;
  readonly fixedVersion: string;
  readonly cve?: string | undefined;
}

/** The file name of a document: its tracking id in lower case, other characters as `_` (CSAF 2.0 §5.1). */
export const csafFileName = (trackingId: string): string => `${trackingId.toLowerCase().replace(/[^+\-a-z0-9]+/g, '_')}.json`;
/** The document's path under the directory: the year of its initial release (§7.1.13). */
export const csafPath = (a: Pick<AdvisoryRow, 'tracking_id' | 'published_at'>): string => `${a.published_at.getUTCFullYear()}/${csafFileName(a.tracking_id)}`;

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * Advisories (issue 22 item 6): published by a platform administrator once a report is fixed, as
 * a page and a CSAF 2.0 document (`csaf_security_advisory`). The advisory's text is the security
 * team's; of the report it shows only the severity, the CVSS vector and the credit the reporter
 * consented to (read at each render, so a withdrawn consent takes effect at once).
 */
export function createAdvisories(deps: { transactor: AppTransactor; clock: Clock; random: Random; audit: Pick<AuditRecorder, 'record'>; publicUrl: string }) {
  const { transactor, clock, random, audit } = deps;
  const inPlatform = <T>(fn: (tx: Tx) => Promise<T>) => transactor.withTenant(PLATFORM_TENANT_ID, fn);
  const origin = new URL(deps.publicUrl).origin;

  async function withReport(tx: Tx, rows: readonly AdvisoryRow[]): Promise<Advisory[]> {
    if (rows.length === 0) return [];
    const reports = await tx.selectFrom('disclosure_reports').select(['id', 'severity', 'cvss_vector', 'cvss_score', 'credit_consent', 'credit_name']).where('id', 'in', rows.map((r) => r.report_id)).execute();
    return rows.flatMap((a) => {
      const r = reports.find((x) => x.id === a.report_id);
      if (r?.severity == null) return [];
      const credit = r.credit_consent === 'named' ? { name: r.credit_name } : r.credit_consent === 'anonymous' ? { name: null } : null;
      return [{ ...a, severity: r.severity, cvss_vector: r.cvss_vector, cvss_score: r.cvss_score === null ? null : Number(r.cvss_score), credit }];
    });
  }
  const columns = ['id', 'report_id', 'tracking_id', 'title', 'summary', 'product_name', 'affected_versions', 'fixed_version', 'cve', 'published_at'] as const;

  return {
    /** Publishes the advisory of a fixed report (one per report). */
    async publish(reportId: string, input: AdvisoryInput, ctx: AuditContext): Promise<AdvisoryRow> {
      return inPlatform(async (tx) => {
        const report = await tx.selectFrom('disclosure_reports').select(['id', 'status', 'severity']).where('id', '=', reportId).where('status', '!=', 'unverified').forUpdate().executeTakeFirst();
        if (report === undefined) throw new AppError('not_found');
        if (report.status !== 'fixed' || report.severity === null) throw new AppError('advisory_not_ready', { detail: 'Publish an advisory once the report is fixed and has a severity.' });
        const now = clock.now();
        const trackingId = input.trackingId ?? `VDP-${now.getUTCFullYear()}-${reportId.replace(/-/g, '').slice(-8).toUpperCase()}`;
        const taken = await tx.selectFrom('disclosure_advisories').select('id').where((eb) => eb.or([eb('report_id', '=', reportId), eb('tracking_id', '=', trackingId)])).executeTakeFirst();
        if (taken !== undefined) throw new AppError('advisory_not_ready', { detail: 'This report or tracking id has an advisory already.' });
        const row: AdvisoryRow = { id: uuidv7(clock, random), report_id: reportId, tracking_id: trackingId, title: input.title, summary: input.summary, product_name: input.productName, affected_versions: input.affectedVersions, fixed_version: input.fixedVersion, cve: input.cve ?? null, published_at: now };
        await tx.insertInto('disclosure_advisories').values(row).execute();
        await audit.record(tx, PLATFORM_TENANT_ID, { action: 'disclosure.advisory_published', actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [{ type: 'disclosure_report', id: reportId }, { type: 'disclosure_advisory', id: row.id }], metadata: { tracking_id: trackingId } });
        return row;
      });
    },

    /** Published advisories, newest first. */
    list: (): Promise<Advisory[]> => inPlatform(async (tx) => withReport(tx, await tx.selectFrom('disclosure_advisories').select(columns).orderBy('published_at', 'desc').limit(500).execute())),

    /** One advisory by tracking id (case-insensitive) or by its CSAF file name. */
    find: (key: string): Promise<Advisory | undefined> =>
      inPlatform(async (tx) => {
        const rows = await tx.selectFrom('disclosure_advisories').select(columns).orderBy('published_at', 'desc').limit(500).execute();
        const match = rows.filter((a) => a.tracking_id.toLowerCase() === key.toLowerCase() || csafFileName(a.tracking_id) === key);
        return (await withReport(tx, match))[0];
      }),

    publisherName: (): Promise<string> =>
      inPlatform(async (tx) => ((await tx.selectFrom('disclosure_settings').select('data').executeTakeFirst())?.data as unknown as Settings | undefined)?.publisher_name ?? DEFAULT_SETTINGS.publisher_name),

    /** The CSAF 2.0 document of an advisory (profile `csaf_security_advisory`). */
    csaf(a: Advisory, publisherName: string): Record<string, unknown> {
      const url = (path: string) => new URL(path, origin).href;
      const released = iso(a.published_at);
      const affected = 'CSAFPID-0001';
      const fixed = 'CSAFPID-0002';
      const acknowledgments = a.credit === null ? undefined : [a.credit.name === null ? { summary: 'Reported by a researcher who asked to stay anonymous.' } : { names: [a.credit.name] }];
      const v31 = a.cvss_vector?.startsWith('CVSS:3.1/') === true && a.cvss_score !== null;
      return {
        document: {
          category: 'csaf_security_advisory',
          csaf_version: '2.0',
          lang: 'en',
          title: a.title,
          publisher: { category: 'vendor', name: publisherName, namespace: origin },
          distribution: { tlp: { label: 'WHITE', url: 'https://www.first.org/tlp/' } },
          notes: [{ category: 'summary', title: 'Summary', text: a.summary }],
          references: [
            { category: 'self', summary: 'The advisory', url: url(`${ADVISORIES_PAGE}/${encodeURIComponent(a.tracking_id)}`) },
            { category: 'self', summary: 'This CSAF document', url: url(`${CSAF_DIRECTORY}/${csafPath(a)}`) },
          ],
          ...(acknowledgments === undefined ? {} : { acknowledgments }),
          tracking: {
            id: a.tracking_id,
            status: 'final',
            version: '1',
            initial_release_date: released,
            current_release_date: released,
            revision_history: [{ date: released, number: '1', summary: 'Initial release.' }],
            generator: { engine: { name: 'Parapet' }, date: released },
          },
        },
        product_tree: {
          branches: [
            {
              category: 'vendor',
              name: publisherName,
              branches: [
                {
                  category: 'product_name',
                  name: a.product_name,
                  branches: [
                    { category: 'product_version_range', name: a.affected_versions, product: { product_id: affected, name: `${a.product_name} ${a.affected_versions}` } },
                    { category: 'product_version', name: a.fixed_version, product: { product_id: fixed, name: `${a.product_name} ${a.fixed_version}` } },
                  ],
                },
              ],
            },
          ],
        },
        vulnerabilities: [
          {
            title: a.title,
            ...(a.cve === null ? {} : { cve: a.cve }),
            notes: [{ category: 'description', title: 'Description', text: a.summary }],
            product_status: { known_affected: [affected], fixed: [fixed] },
            remediations: [{ category: 'vendor_fix', details: `Update ${a.product_name} to ${a.fixed_version} or later.`, product_ids: [affected] }],
            // CSAF 2.0 carries CVSS 2.0 and 3.x scores only; a 4.0 vector is on the advisory page.
            ...(v31 ? { scores: [{ products: [affected], cvss_v3: { version: '3.1', vectorString: a.cvss_vector, baseScore: a.cvss_score, baseSeverity: a.severity.toUpperCase() } }] } : {}),
            ...(acknowledgments === undefined ? {} : { acknowledgments }),
          },
        ],
      };
    },

    /** `provider-metadata.json` (CSAF 2.0 §7.2.1): a publisher with one directory-based distribution. */
    providerMetadata(publisherName: string, lastUpdated: Date): Record<string, unknown> {
      return {
        canonical_url: new URL(`${CSAF_ROOT}/provider-metadata.json`, origin).href,
        distributions: [{ directory_url: new URL(`${CSAF_DIRECTORY}/`, origin).href }],
        last_updated: iso(lastUpdated),
        list_on_CSAF_aggregators: true,
        metadata_version: '2.0',
        mirror_on_CSAF_aggregators: true,
        publisher: { category: 'vendor', name: publisherName, namespace: origin },
        role: 'csaf_publisher',
      };
    },
  };
}

export type Advisories = ReturnType<typeof createAdvisories>;
