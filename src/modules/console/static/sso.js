// Single sign-on and directory (docs/sso.md): identity provider connections (SAML with its metadata
// uploaded, OIDC), this Parapet's SAML SP metadata to download, claimed email domains with the DNS
// TXT record that proves each and a "verify" button, and the SSO policy (require SSO, break-glass
// accounts) with its lock-out warning. Routes: /api/v1/organizations/{orgId}/sso/…
import { api, confirmed, copyButton, field, form, h, say, table, when, refresh } from '/assets/dom.js';

const ROLES = [['viewer', 'Viewer'], ['security_analyst', 'Security Analyst'], ['auditor', 'Auditor'], ['security_admin', 'Security Admin'], ['tenant_admin', 'Tenant Admin']];
const roleName = (key) => ROLES.find(([k]) => k === key)?.[1] ?? key;

/** Offers `text` as a file download named `filename` (a blob: URL; no script, no network). */
export function download(filename, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = h('a', { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A check box with its label: `check('id', 'name', 'Label', checked, value)`. */
function check(id, name, label, checked, value) {
  return h('div', { className: 'check' }, h('input', { id, name, type: 'checkbox', checked, value }), h('label', { for: id }, label));
}

/** The PEM certificates in `text` (one or two, blank-line or END-separated). */
function pems(text) {
  return [...String(text).matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map((m) => m[0]);
}

function connectionDetail(connection, base) {
  const rows = [];
  if (connection.saml) {
    const s = connection.saml;
    rows.push(['IdP entity id', s.idp_entity_id], ['IdP sign-in URL', s.idp_sso_url], ['IdP certificate fingerprints (SHA-256)', s.idp_cert_fingerprints.join(', ')], ['IdP-initiated sign-in', s.allow_idp_initiated ? 'Accepted' : 'Refused'], ['Our entity id (give it to the IdP)', s.sp_entity_id], ['Our ACS URL (give it to the IdP)', s.acs_url]);
  }
  if (connection.oidc) {
    const o = connection.oidc;
    rows.push(['Issuer', o.issuer], ['Client id', o.client_id], ['Scopes', o.scopes], ['Client secret', o.has_client_secret ? 'Stored (never shown)' : 'None (public client)'], ['Redirect URI (register it at the IdP)', o.redirect_uri]);
  }
  const list = h('dl', { className: 'event-detail' }, rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
  if (!connection.saml) return [list];
  return [list, h('button', { type: 'button', className: 'secondary sp-metadata', 'data-connection': connection.id, onclick: async () => {
    try {
      const sp = await api(`${base}/connections/${connection.id}/saml-metadata`);
      download(`parapet-sp-metadata-${connection.id}.xml`, sp.metadata_xml, 'application/samlmetadata+xml');
      say('The SP metadata is downloaded: import it at the identity provider.', true);
    } catch (error) { say(error.message); }
  } }, 'Download SP metadata (XML)')];
}

function editConnection(connection, base) {
  const id = connection.id;
  const fields = [
    check(`conn-enabled-${id}`, 'enabled', 'Enabled (sign-ins through it are accepted)', connection.enabled),
    field('Role of new users', h('select', { id: `conn-role-${id}`, name: 'default_role' }, ROLES.map(([k, n]) => h('option', { value: k, selected: connection.default_role === k }, n))), '(provisioned just in time)'),
  ];
  if (connection.saml) {
    fields.push(
      check(`conn-idp-init-${id}`, 'allow_idp_initiated', 'Accept IdP-initiated (unsolicited) sign-ins', connection.saml.allow_idp_initiated),
      field('Replace the IdP signing certificates', h('textarea', { id: `conn-certs-${id}`, name: 'certs', rows: 4, spellcheck: 'false' }), '(PEM; two during a rollover; leave empty to keep them)'),
    );
  }
  return h('details', { className: 'edit-connection', 'data-connection': id }, h('summary', {}, 'Edit'),
    form({ className: 'connection-form' }, [...fields, h('button', { type: 'submit' }, 'Save connection')], async (data) => {
      const body = { enabled: data.get('enabled') === 'on', default_role: data.get('default_role') };
      if (connection.saml) {
        body.allow_idp_initiated = data.get('allow_idp_initiated') === 'on';
        const certs = pems(data.get('certs'));
        if (String(data.get('certs') ?? '').trim() !== '' && certs.length === 0) { say('Paste the certificates in PEM form (-----BEGIN CERTIFICATE----- …).'); return; }
        if (certs.length > 0) body.idp_certs = certs;
      }
      await api(`${base}/connections/${id}`, { method: 'PATCH', body });
      await refresh();
      say(`The connection "${connection.name}" is saved.`, true);
    }));
}

function createConnection(base) {
  const saml = h('fieldset', { id: 'new-conn-saml' },
    h('legend', {}, 'SAML identity provider'),
    field('IdP metadata file', h('input', { id: 'conn-metadata-file', name: 'metadata_file', type: 'file', accept: '.xml,application/xml,text/xml,application/samlmetadata+xml' }), '(from the IdP; or paste it below)'),
    field('IdP metadata XML', h('textarea', { id: 'conn-metadata', name: 'metadata_xml', rows: 4, spellcheck: 'false' })),
    check('conn-idp-init', 'allow_idp_initiated', 'Accept IdP-initiated (unsolicited) sign-ins', false),
  );
  const oidc = h('fieldset', { id: 'new-conn-oidc', hidden: true },
    h('legend', {}, 'OpenID Connect identity provider'),
    field('Issuer', h('input', { id: 'conn-issuer', name: 'issuer', type: 'url', maxlength: 500, placeholder: 'https://idp.example.com' })),
    field('Client id', h('input', { id: 'conn-client-id', name: 'client_id', maxlength: 200, autocomplete: 'off' })),
    field('Client secret', h('input', { id: 'conn-client-secret', name: 'client_secret', type: 'password', maxlength: 500, autocomplete: 'off' }), '(stored encrypted, never shown again; empty for a public client)'),
    field('Scopes', h('input', { id: 'conn-scopes', name: 'scopes', maxlength: 200, value: 'openid email profile' })),
  );
  const protocol = h('select', { id: 'conn-protocol', name: 'protocol', onchange: () => {
    saml.hidden = protocol.value !== 'saml';
    oidc.hidden = protocol.value !== 'oidc';
  } }, h('option', { value: 'saml' }, 'SAML 2.0'), h('option', { value: 'oidc' }, 'OpenID Connect'));
  return [
    h('h3', {}, 'Add a connection'),
    form({ id: 'create-connection' }, [
      field('Name', h('input', { id: 'conn-name', name: 'name', required: true, maxlength: 100 })),
      field('Protocol', protocol),
      field('Role of new users', h('select', { id: 'conn-default-role', name: 'default_role' }, ROLES.map(([k, n]) => h('option', { value: k }, n))), '(provisioned just in time)'),
      saml, oidc,
      h('button', { type: 'submit' }, 'Add connection'),
    ], async (data, element) => {
      const body = { name: data.get('name'), protocol: data.get('protocol'), default_role: data.get('default_role') };
      if (body.protocol === 'saml') {
        const file = data.get('metadata_file');
        const xml = file instanceof File && file.size > 0 ? await file.text() : String(data.get('metadata_xml') ?? '').trim();
        if (xml === '') { say('Upload or paste the identity provider\u2019s SAML metadata.'); return; }
        body.saml = { metadata_xml: xml, allow_idp_initiated: data.get('allow_idp_initiated') === 'on' };
      } else {
        const secret = String(data.get('client_secret') ?? '');
        body.oidc = { issuer: data.get('issuer'), client_id: data.get('client_id'), scopes: data.get('scopes'), ...(secret === '' ? {} : { client_secret: secret }) };
      }
      const created = await api(`${base}/connections`, { method: 'POST', body });
      element.reset();
      await refresh();
      say(`The connection "${created.name}" is added.${created.saml ? ' Download its SP metadata and import it at the identity provider.' : ' Register its redirect URI at the identity provider.'}`, true);
    }),
  ];
}

function domains(list, connections, base, manage) {
  const names = new Map(connections.map((c) => [c.id, c.name]));
  const rows = list.map((d) => [
    d.domain,
    d.connection_id ? names.get(d.connection_id) ?? d.connection_id : '—',
    d.verified ? `Verified ${when(d.verified_at)}` : 'Not verified',
    d.verified ? '—' : h('div', { className: 'txt-record' },
      h('div', {}, 'Name: ', h('code', { className: 'txt-name' }, d.txt_record.name)),
      h('div', {}, 'Value: ', h('code', { className: 'txt-value' }, d.txt_record.value), ' ', copyButton(d.txt_record.value, 'Copy the value'))),
    ...(manage ? [h('div', { className: 'actions' },
      d.verified ? '' : h('button', { type: 'button', className: 'verify-domain', 'data-domain': d.id, onclick: async () => {
        try {
          await api(`${base}/domains/${d.id}/verify`, { method: 'POST' });
          await refresh();
          say(`${d.domain} is verified: its addresses now sign in through single sign-on.`, true);
        } catch (error) { say(`${error.message} Publish the TXT record shown, wait for DNS to serve it, then verify again.`); }
      } }, 'Verify'),
      h('button', { type: 'button', className: 'danger remove-domain', 'data-domain': d.id, onclick: async () => {
        if (!confirmed(`Remove the domain ${d.domain}? Its addresses stop being routed to single sign-on.`)) return;
        try { await api(`${base}/domains/${d.id}`, { method: 'DELETE' }); await refresh(); } catch (error) { say(error.message); }
      } }, 'Remove'))] : []),
  ]);
  const parts = [
    h('h3', {}, 'Email domains'),
    h('p', {}, 'A claimed domain routes nothing until it is verified: publish the TXT record shown at your DNS provider, then press Verify.'),
    table('Claimed email domains', ['Domain', 'Connection', 'Status', 'TXT record to publish', ...(manage ? ['Actions'] : [])], rows, { id: 'sso-domains' }),
  ];
  if (manage) {
    parts.push(form({ id: 'claim-domain', className: 'inline' }, [
      field('Domain', h('input', { id: 'domain-name', name: 'domain', required: true, maxlength: 253, placeholder: 'example.com' })),
      field('Connection', h('select', { id: 'domain-connection', name: 'connection_id' }, h('option', { value: '' }, '(none yet)'), connections.map((c) => h('option', { value: c.id }, c.name)))),
      h('button', { type: 'submit' }, 'Claim domain'),
    ], async (data) => {
      const connection = String(data.get('connection_id') ?? '');
      const claimed = await api(`${base}/domains`, { method: 'POST', body: { domain: data.get('domain'), ...(connection === '' ? {} : { connection_id: connection }) } });
      await refresh();
      say(`${claimed.domain} is claimed: publish the TXT record shown, then verify it.`, true);
    }));
  }
  return parts;
}

async function policy(ctx, domainList, manage) {
  const { base, me, can } = ctx;
  const current = await api(`${base}/policy`);
  const members = can('members.read') ? (await api(`${ctx.orgBase}/members?limit=100`)).items : [];
  const verified = domainList.filter((d) => d.verified).map((d) => d.domain);
  const myDomain = String(me?.user?.email ?? '').split('@')[1]?.toLowerCase();
  const parts = [
    h('h3', {}, 'SSO policy'),
    h('p', { id: 'sso-policy-state' }, current.require_sso ? `Single sign-on is required for addresses of the verified domains (${verified.join(', ') || 'none verified yet'}).` : 'Single sign-on is not required: members may also sign in with a password or a passkey.'),
  ];
  if (!manage) return parts;
  const warning = h('div', { className: 'warning', id: 'sso-lockout-warning', role: 'note' },
    h('p', {}, h('strong', {}, 'Before you require single sign-on: '), 'password and passkey sign-ins are then refused for every address of a verified domain, yours included, unless the account is a break-glass account. If the identity provider fails or its connection is wrong, only the break-glass accounts can still sign in to fix it. Name at least one (each of their sign-ins is recorded in the audit log), and test a sign-in through the connection first.'),
  );
  const mine = h('p', { className: 'error', id: 'sso-lockout-self', hidden: true }, `Your own address is in a verified domain (${myDomain ?? ''}) and you are not a break-glass account: after saving, you can sign in only through single sign-on.`);
  const chosen = new Set(current.break_glass_user_ids);
  const boxes = members.length > 0
    ? h('fieldset', { id: 'break-glass' }, h('legend', {}, 'Break-glass accounts (keep password sign-in)'), members.map((m) => check(`break-glass-${m.user_id}`, 'break_glass', `${m.display_name} <${m.email}>`, chosen.has(m.user_id), m.user_id)))
    : field('Break-glass account ids', h('textarea', { id: 'break-glass-ids', name: 'break_glass_ids', rows: 2 }, current.break_glass_user_ids.join('\n')), '(one user id a line)');
  const require = h('input', { id: 'require-sso', name: 'require_sso', type: 'checkbox', checked: current.require_sso });
  const element = form({ id: 'sso-policy' }, [
    h('div', { className: 'check' }, require, h('label', { for: 'require-sso' }, 'Require single sign-on for the verified domains')),
    boxes, warning, mine,
    h('button', { type: 'submit' }, 'Save SSO policy'),
  ], async (data) => {
    const ids = members.length > 0 ? data.getAll('break_glass').map(String) : String(data.get('break_glass_ids') ?? '').split(/\s+/).filter(Boolean);
    const requireSso = data.get('require_sso') === 'on';
    if (requireSso && !confirmed('Require single sign-on? Password and passkey sign-ins of the verified domains\u2019 addresses will be refused, except for the break-glass accounts.')) return;
    const saved = await api(`${base}/policy`, { method: 'PUT', body: { require_sso: requireSso, break_glass_user_ids: ids } });
    await refresh();
    say(saved.require_sso ? `Single sign-on is required; ${saved.break_glass_user_ids.length} break-glass account(s).` : 'Single sign-on is no longer required.', true);
  });
  const update = () => {
    const ids = new Set([...element.querySelectorAll('input[name=break_glass]:checked')].map((b) => b.value));
    mine.hidden = !(require.checked && myDomain !== undefined && verified.includes(myDomain) && !ids.has(me?.user?.id));
  };
  element.addEventListener('change', update);
  update();
  parts.push(element);
  return parts;
}

/** "Create setup link": a link for the IT administrator (no account needed), shown once. */
function setupLink(base) {
  const out = h('div', { id: 'sso-setup-link-result' });
  const button = h('button', { type: 'button', id: 'create-setup-link', className: 'secondary', onclick: async () => {
    try {
      const made = await api(`${base}/setup-links`, { method: 'POST', body: {} });
      out.replaceChildren(h('p', {}, `Send this link to your IT administrator; it opens once, in one browser, until ${made.link.expires_at}. It is shown only now.`), h('p', {}, h('code', { id: 'sso-setup-link-url' }, made.url), ' ', copyButton(made.url)));
      say('The setup link is made.', true);
    } catch (error) { say(error.message); }
  } }, 'Create setup link');
  return [h('h3', {}, 'Self-serve setup'), h('p', {}, 'Let your IT administrator configure the identity provider without a Parapet account.'), button, out];
}

/** Renders the Single sign-on tab. */
export async function renderSso(ctx) {
  const { can } = ctx;
  const base = `${ctx.base}/sso`;
  const manage = can('settings.manage');
  const [connections, domainList] = await Promise.all([api(`${base}/connections`), api(`${base}/domains`)]);
  const rows = connections.items.map((c) => [
    c.name,
    c.protocol === 'saml' ? 'SAML' : 'OIDC',
    c.enabled ? 'Enabled' : 'Disabled',
    roleName(c.default_role),
    h('details', { className: 'connection-detail', 'data-connection': c.id }, h('summary', {}, 'Detail'), ...connectionDetail(c, base)),
    ...(manage ? [h('div', {}, editConnection(c, base), h('button', { type: 'button', className: 'danger delete-connection', 'data-connection': c.id, onclick: async () => {
      // The API refuses to delete a connection a domain still routes to (409): say which domains first.
      const routed = domainList.items.filter((d) => d.connection_id === c.id).map((d) => d.domain);
      if (routed.length > 0) { say(`Remove the domains routed to "${c.name}" first (${routed.join(', ')}), then delete it.`); return; }
      if (!confirmed(`Delete the connection "${c.name}"? Sign-ins through it stop at once.`)) return;
      try { await api(`${base}/connections/${c.id}`, { method: 'DELETE' }); await refresh(); } catch (error) { say(error.message); }
    } }, 'Delete'))] : []),
  ]);
  return [
    h('h2', {}, 'Single sign-on and directory'),
    table('Identity provider connections', ['Name', 'Protocol', 'Status', 'Role of new users', 'Detail', ...(manage ? ['Actions'] : [])], rows, { id: 'sso-connections' }),
    ...(manage ? createConnection(base) : []),
    ...(manage ? setupLink(base) : []),
    ...domains(domainList.items, connections.items, base, manage),
    ...await policy({ ...ctx, base, orgBase: ctx.base }, domainList.items, manage),
  ];
}
