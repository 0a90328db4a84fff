// Data and deletion (docs/data-lifecycle.md): the organization's retention periods per data type
// (within each type's bounds; `audit` also needs audit.manage), the risky-writes setting that
// organization deletion needs, and the deletion itself: requested as a risky write (a second
// administrator approves it in Approvals), then scheduled with a grace period during which the
// organization is read-only and the deletion can be cancelled.
import { api, confirmed, field, form, h, say, table, when, refresh } from '/assets/dom.js';

function retention(items, can, base) {
  const manage = can('settings.manage');
  const rows = items.map((p) => {
    const editable = manage && (p.type !== 'audit' || can('audit.manage'));
    const days = editable
      ? h('input', { id: `retention-${p.type}`, name: `days:${p.type}`, type: 'number', min: p.min_days, max: p.max_days, value: p.days, 'aria-label': `Days to keep ${p.type}` })
      : String(p.days);
    const reset = editable && p.overridden
      ? h('div', { className: 'check' }, h('input', { id: `retention-reset-${p.type}`, name: `reset:${p.type}`, type: 'checkbox' }), h('label', { for: `retention-reset-${p.type}` }, 'Back to the default'))
      : '';
    return [h('code', {}, p.type), p.description, days, `${p.default_days}${p.overridden ? ' (overridden)' : ''}`, `${p.min_days}–${p.max_days}`, reset];
  });
  const list = table('Retention periods in days (older data is purged every hour)', ['Data', 'What', 'Days', 'Platform default', 'Allowed', ''], rows, { id: 'retention' });
  if (!manage) return [h('h3', {}, 'Retention'), list];
  return [h('h3', {}, 'Retention'), form({ id: 'retention-form' }, [list, h('button', { type: 'submit' }, 'Save retention')], async (data) => {
    const policies = {};
    for (const p of items) {
      if (data.get(`reset:${p.type}`) === 'on') policies[p.type] = null;
      else if (data.has(`days:${p.type}`) && Number(data.get(`days:${p.type}`)) !== p.days) policies[p.type] = Number(data.get(`days:${p.type}`));
    }
    if (Object.keys(policies).length === 0) { say('Nothing changed.'); return; }
    await api(`${base}/retention`, { method: 'PUT', body: { policies } });
    await refresh();
    say(`Retention saved: ${Object.entries(policies).map(([k, v]) => `${k} ${v === null ? 'back to the default' : `${v} days`}`).join(', ')}.`, true);
  })];
}

function riskyWrites(setting, can, base) {
  const parts = [h('h3', {}, 'Risky writes'), h('p', { id: 'risky-writes-state' }, setting.mode === 'approval'
    ? 'Deleting the organization, a project or an environment is allowed once a second administrator approves it (Approvals tab).'
    : 'Deleting the organization, a project or an environment is disabled. Allow it with approval to delete anything.')];
  if (can('settings.manage')) {
    parts.push(form({ id: 'risky-writes-form', className: 'inline' }, [
      field('Risky writes', h('select', { id: 'risky-writes-mode', name: 'mode' }, [['disabled', 'Disabled'], ['approval', 'Allowed with a second administrator\u2019s approval']].map(([v, l]) => h('option', { value: v, selected: setting.mode === v }, l)))),
      h('button', { type: 'submit', className: 'secondary' }, 'Save'),
    ], async (data) => {
      await api(`${base}/settings/risky-writes`, { method: 'PUT', body: { mode: data.get('mode') } });
      await refresh();
      say(data.get('mode') === 'approval' ? 'Risky writes now need a second administrator\u2019s approval.' : 'Risky writes are disabled.', true);
    }));
  }
  return parts;
}

function deletion(state, waiting, org, can, base) {
  const parts = [h('h3', {}, 'Delete the organization')];
  if (state.status === 'pending') {
    const graceDays = Math.round((Date.parse(state.purge_after) - Date.parse(state.requested_at)) / 86_400_000);
    parts.push(h('div', { className: 'warning', id: 'deletion-pending' },
      h('p', {}, h('strong', {}, `This organization will be deleted on ${when(state.purge_after)}`), ` (scheduled ${when(state.requested_at)}, a grace period of ${graceDays} days). Until then it is read-only; afterwards its keys are destroyed and its data removed for good.`)));
    if (can('organization.delete')) {
      parts.push(h('button', { type: 'button', id: 'cancel-deletion', onclick: async () => {
        try {
          await api(`${base}/deletion`, { method: 'DELETE' });
          await refresh();
          say('The deletion is cancelled: the organization can be changed again.', true);
        } catch (error) { say(error.message); }
      } }, 'Cancel the deletion'));
    }
    return parts;
  }
  if (waiting.length > 0) {
    parts.push(h('p', { id: 'deletion-waiting', className: 'warning' }, `A deletion was requested ${when(waiting[0].created_at)} and waits for a second administrator's approval (Approvals tab). Once approved, it is scheduled with a grace period and can still be cancelled here.`));
  }
  if (!can('organization.delete')) return parts;
  parts.push(
    h('p', {}, 'Deleting is a risky write: a second administrator approves it, then the organization is read-only for a grace period (14 days by default) during which the deletion can be cancelled here. Then its keys are destroyed and every row removed; this cannot be undone.'),
    form({ id: 'delete-org' }, [
      field('Type the organization\u2019s name to confirm', h('input', { id: 'delete-confirm', name: 'confirm', required: true, autocomplete: 'off' })),
      h('button', { type: 'submit', className: 'danger' }, 'Delete organization'),
    ], async (data, element) => {
      if (String(data.get('confirm')) !== org.name) { say('The name does not match: nothing was deleted.'); return; }
      if (!confirmed(`Request the deletion of "${org.name}" and everything in it?`)) return;
      await api(base, { method: 'DELETE' });
      element.reset();
      await refresh();
      say('Deletion requested: a second administrator must approve it on the Approvals tab. It is then scheduled with a grace period.', true);
    }),
  );
  return parts;
}

/** Renders the Data and deletion tab. */
export async function renderLifecycle({ org, can, base }) {
  const [policies, setting, state, approvals] = await Promise.all([
    api(`${base}/retention`),
    api(`${base}/settings/risky-writes`),
    api(`${base}/deletion`),
    api(`${base}/approvals?status=pending&limit=100`).catch(() => ({ items: [] })),
  ]);
  const waiting = approvals.items.filter((a) => a.operation === 'organization.delete');
  return [
    h('h2', {}, 'Data and deletion'),
    ...retention(policies.items, can, base),
    ...riskyWrites(setting, can, base),
    ...deletion(state, waiting, org, can, base),
  ];
}
