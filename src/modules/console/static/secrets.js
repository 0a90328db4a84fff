// Secrets (docs/secrets.md): write-only. The list shows names and versions, never values; setting
// stores a new version; revealing a value needs secrets.read_value and a reason, recorded in the
// audit event of the read, and the value is shown in place until hidden.
import { api, confirmed, copyButton, field, form, h, say, table, when, refresh } from '/assets/dom.js';
import { pickEnvironment } from '/assets/environment-picker.js';

/** The value of version `version` (read with `reason`, audited) shown in `out` with copy and hide. */
function revealForm(url, secretName, version, out) {
  const suffix = version === undefined ? secretName : `${secretName}-v${version}`;
  return form({ className: 'reveal-secret inline', 'data-secret': secretName, ...(version === undefined ? {} : { 'data-version': version }) }, [
    field('Reason', h('input', { id: `reveal-reason-${suffix}`, name: 'reason', required: true, maxlength: 200 }), '(recorded in the audit log)'),
    h('button', { type: 'submit' }, version === undefined ? 'Reveal' : `Reveal version ${version}`),
  ], async (data) => {
    const read = await api(`${url}/value?${version === undefined ? '' : `version=${version}&`}reason=${encodeURIComponent(String(data.get('reason')))}`);
    out.replaceChildren(h('code', { className: 'secret secret-value' }, read.value), ' ', copyButton(read.value, 'Copy the value'), ' ', h('button', { type: 'button', className: 'secondary', onclick: () => { out.replaceChildren(); out.hidden = true; } }, 'Hide'));
    out.hidden = false;
  });
}

/** A secret's versions (metadata only; `GET …/versions`), each older one revealable with a reason. */
function versionsDetails(url, secret, reveal) {
  const body = h('div', { className: 'versions' });
  const details = h('details', { className: 'secret-versions', 'data-secret': secret.name }, h('summary', {}, 'Versions'), body);
  details.addEventListener('toggle', async () => {
    if (!details.open || body.childElementCount > 0) return;
    try {
      const { items } = await api(`${url}/versions?limit=100`);
      body.replaceChildren(table(`Versions of ${secret.name}`, ['Version', 'Set', 'By', 'State', ...(reveal ? ['Value'] : [])], items.map((v) => {
        const out = h('div', { className: 'revealed', hidden: true });
        return [String(v.version), when(v.created_at), v.created_by.id === null ? v.created_by.type : h('code', {}, v.created_by.id), v.current ? 'Current' : `Replaced ${when(v.superseded_at)}`, ...(reveal ? [h('div', {}, revealForm(url, secret.name, v.version, out), out)] : [])];
      }), { className: 'versions-table' }));
    } catch (error) { say(error.message); }
  });
  return details;
}

/** Renders the Secrets tab. */
export async function renderSecrets(ctx) {
  const { can, base } = ctx;
  const parts = [h('h2', {}, 'Secrets')];
  const { chosen, picker } = await pickEnvironment(ctx, 'secrets', 'secret-env');
  if (!chosen) return [...parts, h('p', {}, 'Secrets belong to an environment: create a project and an environment first (Projects tab).')];
  const envBase = `${base}/projects/${chosen.project.id}/environments/${chosen.env.id}/secrets`;
  parts.push(h('p', {}, 'Values are write-only here: the list never shows them. Every reveal is recorded in the audit log with its reason.'), picker);
  const manage = can('secrets.manage');
  const reveal = can('secrets.read_value');
  const secrets = (await api(`${envBase}?limit=100`)).items;
  const rows = secrets.map((secret) => {
    const url = `${envBase}/${encodeURIComponent(secret.name)}`;
    const actions = [];
    if (reveal) {
      const out = h('div', { className: 'revealed', hidden: true });
      actions.push(revealForm(url, secret.name, undefined, out), out);
    }
    actions.push(versionsDetails(url, secret, reveal));
    if (manage) {
      actions.push(h('button', { type: 'button', className: 'danger delete-secret', 'data-secret': secret.name, onclick: async () => {
        if (!confirmed(`Delete the secret "${secret.name}"?`)) return;
        try { await api(url, { method: 'DELETE' }); await refresh(); } catch (error) { say(error.message); }
      } }, 'Delete'));
    }
    return [h('code', {}, secret.name), String(secret.version), when(secret.updated_at), h('div', {}, actions)];
  });
  parts.push(table(`Secrets of ${chosen.project.name} / ${chosen.env.name}`, ['Name', 'Version', 'Updated', 'Actions'], rows, { id: 'secrets' }));
  if (manage) {
    parts.push(
      h('h3', {}, 'Set a secret'),
      h('p', {}, 'Setting an existing name stores a new version.'),
      form({ id: 'set-secret' }, [
        field('Name', h('input', { id: 'secret-name', name: 'name', required: true, maxlength: 128, pattern: '[A-Za-z_][A-Za-z0-9_]*', autocomplete: 'off' }), '(letters, digits and _)'),
        field('Value', h('textarea', { id: 'secret-value', name: 'value', required: true, rows: 3, autocomplete: 'off', spellcheck: 'false' })),
        h('button', { type: 'submit' }, 'Save secret'),
      ], async (data, element) => {
        const saved = await api(envBase, { method: 'POST', body: { name: data.get('name'), value: data.get('value') } });
        element.reset();
        await refresh();
        say(`Saved ${saved.name}, version ${saved.version}.`, true);
      }),
    );
  }
  return parts;
}
