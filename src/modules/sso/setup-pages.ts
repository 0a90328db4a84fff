import { html, htmlDocument, type SafeHtml } from '../../platform/http/html.ts';
import type { ConnectionView } from './connections-service.ts';
import type { SetupLinkView } from './setup-links.ts';

/** What the portal shows of one connection: where the IdP must send its answers. */
export interface PortalConnection {
  readonly view: ConnectionView;
  readonly oidcRedirect: string;
  readonly spEntityId: string;
  readonly acsUrl: string;
  readonly metadataPath: string;
}

function page(title: string, body: SafeHtml): string {
  return htmlDocument({ title: `${title} — single sign-on setup`, body: html`<main id="main"><h1>${title}</h1>\n${body}</main>` });
}

/** The first page of a link: a button that opens it (a POST, so a link preview does not use it up). */
export function renderOpenPage(): string {
  return page(
    'Set up single sign-on',
    html`<p>Your organization's administrator sent you this link to connect its identity provider (Okta, Microsoft Entra ID, Google Workspace or any SAML 2.0 or OpenID Connect provider) to Parapet. No Parapet account is needed.</p>
<p>The link opens in <strong>one browser only</strong>: once opened here, it cannot be opened anywhere else. It expires on its own.</p>
<form method="post"><p><button type="submit">Open the setup</button></p></form>`,
  );
}

const OUTCOMES: Readonly<Record<string, string>> = {
  ok: 'Succeeded: the identity provider signed you in, and your address is in a domain this organization has verified. Members can sign in.',
  ok_domain_unverified: 'The identity provider signed you in, but your address is not in a domain this organization has verified: ask your Parapet administrator to verify the domain before members sign in.',
  ok_no_email: 'The identity provider signed you in but sent no (verified) email address: send the email address (SAML NameID format emailAddress, or the OIDC email and email_verified claims).',
};

function outcomeText(outcome: string): string {
  if (outcome.startsWith('refused:')) return `Failed: Parapet refused the identity provider's answer (${outcome.slice('refused:'.length)}). Check the values below at the identity provider and test again.`;
  return OUTCOMES[outcome] ?? outcome;
}

function connectionBlock(base: string, csrf: string, c: PortalConnection): SafeHtml {
  const v = c.view;
  const rows: [string, string][] =
    v.protocol === 'saml'
      ? [['Protocol', 'SAML 2.0'], ['ACS URL (Single sign-on URL, Reply URL)', c.acsUrl], ['Entity id (Audience URI, Identifier)', c.spEntityId], ['Identity provider entity id', v.saml?.idpEntityId ?? '']]
      : [['Protocol', 'OpenID Connect'], ['Redirect URI (sign-in redirect URI)', c.oidcRedirect], ['Issuer', v.oidc?.issuer ?? ''], ['Client id', v.oidc?.clientId ?? '']];
  return html`<section><h3>${v.name}</h3>
<dl>${rows.map(([k, value]) => html`<dt>${k}</dt><dd><code>${value}</code></dd>`)}</dl>
${v.protocol === 'saml' ? html`<p><a href="${c.metadataPath}">Download this service provider's SAML metadata (XML)</a></p>` : ''}
<form method="post" action="${base}/test"><input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="connection_id" value="${v.id}"><p><button type="submit">Test connection: sign in at the identity provider</button></p></form>
</section>`;
}

const INSTRUCTIONS = html`<section><h2>Step by step</h2>
<details><summary>Okta</summary><ol>
<li>SAML: <em>Applications</em> → <em>Create App Integration</em> → <em>SAML 2.0</em>. Put any placeholder in <em>Single sign-on URL</em> and <em>Audience URI</em> for now; <em>Name ID format</em> EmailAddress, <em>Application username</em> Email. Finish, then copy the <em>Metadata URL</em>'s document (<em>Sign On</em> tab → <em>View SAML setup instructions</em> → IdP metadata) into the SAML form below.</li>
<li>Once the connection is added here, put its <em>ACS URL</em> into <em>Single sign-on URL</em> and its <em>Entity id</em> into <em>Audience URI (SP Entity ID)</em>.</li>
<li>OIDC instead: <em>OIDC - OpenID Connect</em> → <em>Web Application</em>, grant type Authorization Code; add the connection's <em>Redirect URI</em> as a sign-in redirect URI; give the issuer (<code>https://&lt;your-org&gt;.okta.com</code>), client id and secret below.</li>
<li>Groups: to map groups to roles, add a <em>groups</em> attribute statement (SAML) or a groups claim (OIDC); your Parapet administrator maps group names to roles.</li>
<li>Assign people or groups to the application, then <em>Test connection</em> below.</li></ol></details>
<details><summary>Microsoft Entra ID</summary><ol>
<li><em>Enterprise applications</em> → <em>New application</em> → <em>Create your own application</em> (non-gallery) → <em>Single sign-on</em> → <em>SAML</em>.</li>
<li>Download <em>Federation Metadata XML</em> (section 3) and paste it into the SAML form below.</li>
<li>In <em>Basic SAML Configuration</em>: <em>Identifier (Entity ID)</em> = the connection's <em>Entity id</em>, <em>Reply URL</em> = its <em>ACS URL</em>. <em>Attributes &amp; Claims</em>: Unique User Identifier = <code>user.mail</code>, name format Email address.</li>
<li>Groups (optional): <em>Add a group claim</em>; Entra sends group object ids unless you choose names.</li>
<li><em>Users and groups</em>: assign, then <em>Test connection</em> below.</li></ol></details>
<details><summary>Google Workspace</summary><ol>
<li>Admin console → <em>Apps</em> → <em>Web and mobile apps</em> → <em>Add app</em> → <em>Add custom SAML app</em>.</li>
<li>On <em>Google Identity Provider details</em>, download the IdP metadata and paste it into the SAML form below.</li>
<li><em>Service provider details</em>: <em>ACS URL</em> and <em>Entity ID</em> from the connection, <em>Name ID format</em> EMAIL, <em>Name ID</em> Basic Information → Primary email.</li>
<li>Turn the app <em>ON for everyone</em> (or an organizational unit), then <em>Test connection</em> below.</li></ol></details>
<details><summary>Any other SAML 2.0 or OpenID Connect provider</summary><ol>
<li>SAML: SP-initiated, HTTP-Redirect binding for the request and HTTP-POST for the response; assertions signed (RSA-SHA256); NameID format emailAddress (or an <code>email</code> attribute); Recipient and Destination = the ACS URL; Audience = the Entity id.</li>
<li>OpenID Connect: discovery at the issuer; authorization code flow with PKCE; the <code>email</code> and <code>email_verified</code> claims; register the Redirect URI.</li></ol></details>
</section>`;

/** The portal's page: the organization's connections with what to give the IdP, the forms, the instructions, the last test. */
export function renderPortalPage(input: { base: string; csrf: string; link: SetupLinkView; connections: readonly PortalConnection[]; notice: string | undefined }): string {
  const { base, csrf, link } = input;
  return page(
    'Set up single sign-on',
    html`<p>This link works in this browser until ${link.expiresAt.toISOString()}. Everything done here is recorded in the organization's audit log.</p>
${input.notice === undefined ? '' : html`<p role="status"><strong>${input.notice}</strong></p>`}
${link.lastTestOutcome === null ? '' : html`<section aria-labelledby="last-test"><h2 id="last-test">Last test (${link.lastTestAt?.toISOString() ?? ''})</h2><p role="status">${outcomeText(link.lastTestOutcome)}</p></section>`}
<section><h2>Connections of this organization</h2>
${input.connections.length === 0 ? html`<p>None yet: add one below.</p>` : input.connections.map((c) => connectionBlock(base, csrf, c))}
</section>
<section><h2>Add a SAML 2.0 identity provider</h2>
<form method="post" action="${base}/connections"><input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="protocol" value="saml">
<p><label for="saml-name">Name</label><br><input id="saml-name" name="name" required maxlength="100"></p>
<p><label for="saml-metadata">The identity provider's metadata (XML)</label><br><textarea id="saml-metadata" name="metadata_xml" rows="8" cols="80" required></textarea></p>
<p><button type="submit">Add the SAML connection</button></p></form></section>
<section><h2>Add an OpenID Connect identity provider</h2>
<form method="post" action="${base}/connections"><input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="protocol" value="oidc">
<p><label for="oidc-name">Name</label><br><input id="oidc-name" name="name" required maxlength="100"></p>
<p><label for="oidc-issuer">Issuer URL</label><br><input id="oidc-issuer" name="issuer" type="url" required maxlength="500"></p>
<p><label for="oidc-client">Client id</label><br><input id="oidc-client" name="client_id" required maxlength="200"></p>
<p><label for="oidc-secret">Client secret</label><br><input id="oidc-secret" name="client_secret" type="password" maxlength="500" autocomplete="off"></p>
<p><button type="submit">Add the OIDC connection</button></p></form></section>
${INSTRUCTIONS}`,
  );
}
