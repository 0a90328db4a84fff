import { html, htmlDocument, type SafeHtml } from '../../platform/http/html.ts';
import type { NdaDocumentInfo, NdaVersion } from './nda-service.ts';

/** The public pages of the NDA flow (TR-2): plain forms, no script, every value escaped. */
function page(brand: string, title: string, body: SafeHtml): string {
  return htmlDocument({
    title: `${title} — ${brand} Trust Center`,
    stylesheets: ['/trust/trust.css'],
    body: html`<a class="skip" href="#main">Skip to content</a>
<header class="site"><div class="brand"><span>${brand} Trust Center</span></div>
<nav aria-label="Trust center"><ul><li><a href="/trust">Overview</a></li><li><a href="/trust/documents">Documents</a></li></ul></nav></header>
<main id="main"><h1>${title}</h1>
${body}</main>`,
  });
}

/** The request form: who asks, and the full NDA text with its version and SHA-256 to accept. */
export function renderRequestPage(brand: string, document: NdaDocumentInfo, nda: NdaVersion | undefined): string {
  if (nda === undefined) return page(brand, document.title, html`<p>This document cannot be requested yet.</p>`);
  return page(
    brand,
    `Request: ${document.title}`,
    html`${document.description === undefined ? '' : html`<p>${document.description}</p>`}
<p>This document is shared under a non-disclosure agreement. We mail a link to confirm your address; once your request is approved, a second mail brings a link that downloads the document once.</p>
<form method="post" action="/trust/documents/${document.entryId}/request">
<p><label for="email">Work email</label><br><input id="email" type="email" name="email" required maxlength="254" autocomplete="email"></p>
<p><label for="name">Name</label><br><input id="name" type="text" name="name" required maxlength="200" autocomplete="name"></p>
<p><label for="company">Company</label><br><input id="company" type="text" name="company" required maxlength="200" autocomplete="organization"></p>
<section aria-labelledby="nda-title"><h2 id="nda-title">Non-disclosure agreement, version ${nda.version}</h2>
<pre class="nda">${nda.body}</pre>
<p class="meta">SHA-256 of this text: <code>${nda.sha256}</code></p></section>
<input type="hidden" name="nda_version" value="${nda.version}">
<p><input id="accept" type="checkbox" name="accept_nda" value="yes" required> <label for="accept">I accept this non-disclosure agreement on behalf of myself and my company.</label></p>
<p><button type="submit">Accept and request</button></p>
</form>`,
  );
}

/** A form that takes the code from a mail (links carry it in the fragment, which no server sees). */
export function renderCodePage(brand: string, kind: 'verify' | 'download'): string {
  return kind === 'verify'
    ? page(brand, 'Confirm your request', html`<p>Paste the code from the mail we sent you.</p>
<form method="post" action="/trust/documents/verify"><p><label for="token">Code</label> <input id="token" type="text" name="token" required maxlength="100" autocomplete="off"> <button type="submit">Confirm</button></p></form>`)
    : page(brand, 'Download a document', html`<p>Enter the address the link was mailed to and paste the code from the mail. The code works once.</p>
<form method="post" action="/trust/documents/download"><p><label for="email">Email</label><br><input id="email" type="email" name="email" required maxlength="254" autocomplete="email"></p>
<p><label for="token">Code</label><br><input id="token" type="text" name="token" required maxlength="100" autocomplete="off"></p><p><button type="submit">Download</button></p></form>`);
}

/** A page of our own text only, never the visitor's. */
export function renderNoticePage(brand: string, title: string, paragraphs: readonly string[]): string {
  return page(brand, title, html`${paragraphs.map((p) => html`<p>${p}</p>`)}`);
}
