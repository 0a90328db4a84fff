import { createHash } from 'node:crypto';
import type { ItemRow } from './subscriptions-service.ts';
import type { Topic } from './subscriptions-tables.ts';

export type FeedFormat = 'rss' | 'atom' | 'json';

export const FEED_TYPES: Readonly<Record<FeedFormat, string>> = {
  rss: 'application/rss+xml; charset=utf-8',
  atom: 'application/atom+xml; charset=utf-8',
  json: 'application/feed+json; charset=utf-8',
};

export interface FeedInfo {
  readonly topic: Topic;
  readonly title: string;
  /** The page the feed is about (absolute). */
  readonly pageUrl: string;
  /** Base of the feed URLs: `${base}.rss`, `.atom`, `.json` (absolute). */
  readonly feedBase: string;
}

/** Characters XML 1.0 does not allow at all (§2.2 Char); removed rather than escaped, since no escape makes them legal. */
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Escapes text for XML character data and attribute values (both quotes, so either quoting works). */
export function escapeXml(text: string): string {
  return text.replace(NOT_XML_CHAR, '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? '');
}

/**
 * A strong validator of a feed's content: the same items give the same ETag in every format's
 * own namespace, so a client's If-None-Match matches only the representation it fetched.
 */
export function feedEtag(format: FeedFormat, items: readonly ItemRow[]): string {
  const hash = createHash('sha256').update(format);
  for (const item of items) hash.update(`\n${item.id}`);
  return `"${hash.digest('base64url').slice(0, 32)}"`;
}

/** RFC 7232 §3.2: If-None-Match is a list of entity-tags, or `*`; weak comparison. */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

const itemDescription = (item: ItemRow) => [item.body, ...(item.effective_at === null ? [] : [`Takes effect on ${item.effective_at.toISOString().slice(0, 10)}.`])].filter((s) => s !== '').join('\n\n');
const updated = (items: readonly ItemRow[]) => (items[0]?.published_at ?? new Date(0));

/** RSS 2.0 (RSS Advisory Board specification); dates in RFC 822 form. */
export function renderRss(info: FeedInfo, items: readonly ItemRow[]): string {
  const entries = items.map(
    (i) => `<item><title>${escapeXml(i.title)}</title><link>${escapeXml(i.link)}</link><description>${escapeXml(itemDescription(i))}</description><guid isPermaLink="false">urn:uuid:${i.id}</guid><pubDate>${i.published_at.toUTCString()}</pubDate></item>`,
  );
  return `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>${escapeXml(info.title)}</title><link>${escapeXml(info.pageUrl)}</link><description>${escapeXml(info.title)}</description><atom:link href="${escapeXml(`${info.feedBase}.rss`)}" rel="self" type="application/rss+xml"/><lastBuildDate>${updated(items).toUTCString()}</lastBuildDate>
${entries.join('\n')}
</channel></rss>
`;
}

/** Atom (RFC 4287): text constructs are `type="text"`, so nothing in them is markup. */
export function renderAtom(info: FeedInfo, items: readonly ItemRow[]): string {
  const entries = items.map(
    (i) => `<entry><id>urn:uuid:${i.id}</id><title type="text">${escapeXml(i.title)}</title><link href="${escapeXml(i.link)}"/><updated>${i.published_at.toISOString()}</updated><summary type="text">${escapeXml(itemDescription(i))}</summary></entry>`,
  );
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><id>${escapeXml(`${info.feedBase}.atom`)}</id><title type="text">${escapeXml(info.title)}</title><updated>${updated(items).toISOString()}</updated><author><name>${escapeXml(info.title)}</name></author><link href="${escapeXml(info.pageUrl)}"/><link rel="self" href="${escapeXml(`${info.feedBase}.atom`)}"/>
${entries.join('\n')}
</feed>
`;
}

/** JSON Feed 1.1 (jsonfeed.org/version/1.1): `content_text`, never `content_html`. */
export function renderJsonFeed(info: FeedInfo, items: readonly ItemRow[]): string {
  return JSON.stringify({
    version: 'https://jsonfeed.org/version/1.1',
    title: info.title,
    home_page_url: info.pageUrl,
    feed_url: `${info.feedBase}.json`,
    items: items.map((i) => ({ id: `urn:uuid:${i.id}`, url: i.link, title: i.title, content_text: itemDescription(i), date_published: i.published_at.toISOString(), _parapet: { event: i.event, components: i.components, effective_at: i.effective_at?.toISOString() ?? null } })),
  });
}
