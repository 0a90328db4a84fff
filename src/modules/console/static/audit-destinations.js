// An organization's SIEM destinations (AUD-5), under its audit log for holders of audit.manage:
// the list with each destination's delivery state, adding a Standard Webhooks endpoint or an
// RFC 5425 syslog-over-TLS receiver (the webhook's signing secret is shown once, with copy),
// "Send test" (POST …/destinations/{id}/test: a test message now, and what the receiver answered),
// and removal. The API refuses the same actions to anyone without audit.manage.
import { api, confirmed, copyButton, field, form, h, refresh, say, table, when } from '/assets/dom.js';

function state(d) {
  if (!d.enabled) return 'disabled';
  if (d.delivery.last_error) return `failing (${d.delivery.attempts} attempts): ${d.delivery.last_error}`;
  return d.delivery.last_delivered_at ? `delivered ${when(d.delivery.last_delivered_at)}` : 'nothing delivered yet';
}

/** Renders the destinations section for the organization at `base` (…/organizations/{id}). */
export async function renderAuditDestinations({ base }) {
  const root = `${base}/audit/destinations`;
  const list = await api(root);
  const result = h('div', { id: 'destination-test-result', role: 'status' });
  const rows = list.items.map((d) => [
    d.name,
    d.kind === 'webhook' ? `webhook ${d.url}` : `syslog ${d.host}:${d.port}`,
    d.format,
    state(d),
    h('div', { className: 'actions', 'data-destination': d.id },
      h('button', { type: 'button', className: 'secondary send-test', onclick: async () => {
        result.replaceChildren('Sending a test message…');
        try {
          const answer = await api(`${root}/${d.id}/test`, { method: 'POST', body: {} });
          result.replaceChildren(h('p', { className: answer.delivered ? 'ok test-verdict' : 'error test-verdict' }, answer.delivered ? `Test message delivered to ${d.name}.` : `Test message not delivered to ${d.name}: ${answer.error ?? 'no answer'}`));
        } catch (error) {
          result.replaceChildren(h('p', { className: 'error test-verdict' }, error.message));
        }
      } }, 'Send test'),
      h('button', { type: 'button', className: 'danger remove-destination', onclick: async () => {
        if (!confirmed(`Stop streaming the audit log to ${d.name}?`)) return;
        try {
          await api(`${root}/${d.id}`, { method: 'DELETE' });
          await refresh();
          say(`${d.name} removed.`, true);
        } catch (error) { say(error.message); }
      } }, 'Remove'),
    ),
  ]);
  const secretBox = h('div', { id: 'destination-secret' });
  const add = form({ id: 'destination-form' }, [
    field('Name', h('input', { id: 'destination-name', name: 'name', required: true, maxlength: 100 })),
    field('Kind', h('select', { id: 'destination-kind', name: 'kind' }, h('option', { value: 'webhook' }, 'Webhook (Standard Webhooks, https)'), h('option', { value: 'syslog' }, 'Syslog over TLS (RFC 5425)'))),
    field('Webhook URL', h('input', { id: 'destination-url', name: 'url', type: 'url', maxlength: 2048, placeholder: 'https://siem.example.com/parapet' }), 'webhooks'),
    field('Syslog host', h('input', { id: 'destination-host', name: 'host', maxlength: 253 }), 'syslog'),
    field('Syslog port', h('input', { id: 'destination-port', name: 'port', type: 'number', min: 1, max: 65535, placeholder: '6514' }), 'syslog'),
    field('Format', h('select', { id: 'destination-format', name: 'format' }, h('option', { value: 'json' }, 'JSON (the canonical event)'), h('option', { value: 'ocsf' }, 'OCSF 1.1'))),
    field('Receiver CA certificate (PEM)', h('textarea', { id: 'destination-ca', name: 'ca_pem', rows: 3, maxlength: 65536 }), 'optional: default the system store'),
    h('button', { type: 'submit' }, 'Add destination'),
  ], async (data) => {
    const kind = String(data.get('kind'));
    const body = { kind, name: String(data.get('name') ?? '').trim(), format: String(data.get('format')) };
    if (kind === 'webhook') body.url = String(data.get('url') ?? '').trim();
    else {
      body.host = String(data.get('host') ?? '').trim();
      const port = String(data.get('port') ?? '').trim();
      if (port !== '') body.port = Number(port);
    }
    const ca = String(data.get('ca_pem') ?? '').trim();
    if (ca !== '') body.ca_pem = ca;
    const created = await api(root, { method: 'POST', body });
    await refresh();
    if (created.secret) {
      // Shown once: the receiver verifies each message's signature with it.
      document.getElementById('destination-secret')?.replaceChildren(h('p', {}, 'Signing secret (shown only now): ', h('code', { id: 'destination-secret-value' }, created.secret), ' ', copyButton(created.secret)));
    }
    say(`${created.name} added: new events stream to it.`, true);
  });
  return [
    h('h2', {}, 'SIEM destinations'),
    h('p', {}, 'The log streams to each destination as it grows, in order, with the signed checkpoints; a failing destination is retried with backoff.'),
    table('Destinations', ['Name', 'Where', 'Format', 'Delivery', ''], rows, { id: 'audit-destinations' }),
    result,
    secretBox,
    h('h3', {}, 'Add a destination'),
    add,
  ];
}
