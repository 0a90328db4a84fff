import { html, htmlDocument, type SafeHtml } from '../../platform/http/html.ts';
import type { StatusComponent } from './subscriptions-service.ts';
import type { Topic } from './subscriptions-tables.ts';

/** Where each topic's public page and feeds live. */
export const TOPIC_PAGES: Readonly<Record<Topic, string>> = { status: '/status', subprocessors: '/trust/subprocessors' };
export const feedBasePath = (topic: Topic) => `/feeds/${topic}`;

/**
 * The subscribe form embedded in a topic's public page: plain HTML, no script. It posts to this
 * origin only (the app's origin check refuses cross-site posts: OWASP CSRF cheat sheet, verify
 * Origin / Fetch Metadata). Components are checkboxes named `component.<id>`; the form parser
 * refuses repeated names.
 */
export function renderSubscribeForm(topic: Topic, components: readonly StatusComponent[]): SafeHtml {
  const feeds = feedBasePath(topic);
  return html`<section class="subscribe" aria-labelledby="subscribe-${topic}"><h2 id="subscribe-${topic}">Get notified</h2>
<form method="post" action="/subscriptions/subscribe">
<input type="hidden" name="topic" value="${topic}">
<p><label>Email <input type="email" name="email" required maxlength="254" autocomplete="email"></label></p>
${topic === 'status' && components.length > 0 ? html`<fieldset><legend>Only these components (none ticked: all)</legend>${components.map((c) => html`<label><input type="checkbox" name="component.${c.id}" value="1"> ${c.name}</label> `)}</fieldset>` : ''}
<p><button type="submit">Subscribe</button></p>
</form>
<p>We mail a link to confirm; nothing is sent before you use it. Webhooks: <code>POST /api/v1/subscriptions</code>. Feeds: <a href="${feeds}.rss">RSS</a>, <a href="${feeds}.atom">Atom</a>, <a href="${feeds}.json">JSON Feed</a>.</p>
</section>`;
}

/** A short page of our own text (never the visitor's input). */
export function renderNotice(title: string, paragraphs: readonly string[], form?: SafeHtml): string {
  return htmlDocument({ title, body: html`<main><h1>${title}</h1>${paragraphs.map((p) => html`<p>${p}</p>`)}${form}</main>` });
}

/**
 * The page a mailed link opens: a form that posts the token. A GET never acts, so a mail scanner
 * that follows links neither confirms nor unsubscribes anyone.
 */
export function renderTokenForm(action: 'confirm' | 'unsubscribe' | 'object', token: string): string {
  const titles = { confirm: 'Confirm your subscription', unsubscribe: 'Unsubscribe', object: 'Object to a subprocessor change' } as const;
  const buttons = { confirm: 'Confirm', unsubscribe: 'Unsubscribe', object: 'Record my objection' } as const;
  return renderNotice(titles[action], [], html`<form method="post" action="/subscriptions/${action}"><input type="hidden" name="token" value="${token}">${action === 'object' ? html`<p><label>Reason (optional) <textarea name="reason" maxlength="2000" rows="4" cols="60"></textarea></label></p>` : ''}<p><button type="submit">${buttons[action]}</button></p></form>`);
}
