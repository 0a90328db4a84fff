// The organization's security policy: second factor, methods, session timeouts, IP allowlist.
// Saving is refused when the new policy would refuse the session saving it (the lock-out guard).
import { api, field, form, h, say } from '/assets/dom.js';

const METHODS = [['totp', 'Authenticator app (TOTP)'], ['webauthn', 'Passkey or security key']];

/** Renders the security policy tab. */
export async function renderPolicy({ can, base }) {
  const policy = await api(`${base}/security-policy`);
  const manage = can('settings.manage');
  const disabled = !manage;
  const parts = [h('h2', {}, 'Security policy')];
  if (!manage) parts.push(h('p', {}, 'Your role lets you read the policy, not change it.'));
  const number = (id, name, value, label, hint) => field(label, h('input', { id, name, type: 'number', value: value ?? '', disabled }), hint);
  const fields = [
    h('div', { className: 'check' }, h('input', { id: 'policy-mfa', name: 'mfa_required', type: 'checkbox', checked: policy.mfa_required, disabled }), h('label', { for: 'policy-mfa' }, 'Members must sign in with a second factor')),
    h('fieldset', {}, h('legend', {}, 'Accepted second factors'), METHODS.map(([key, label]) =>
      h('div', { className: 'check' }, h('input', { id: `policy-method-${key}`, name: 'methods', value: key, type: 'checkbox', checked: policy.allowed_mfa_methods.includes(key), disabled }), h('label', { for: `policy-method-${key}` }, label)))),
    number('policy-idle', 'idle', policy.session_idle_minutes, 'Idle timeout (minutes)', '(empty: the platform default)'),
    number('policy-absolute', 'absolute', policy.session_absolute_hours, 'Absolute session lifetime (hours)', '(empty: the platform default)'),
    field('IP allowlist', h('textarea', { id: 'policy-ips', name: 'ips', rows: 3, disabled }, policy.ip_allowlist.join('\n')), '(one CIDR range a line, e.g. 203.0.113.0/24; empty: any address)'),
  ];
  if (manage) fields.push(h('p', {}, h('small', {}, 'Saving needs a recent sign-in. If the new policy would refuse the session you are using (no accepted second factor, or your address outside the allowlist), Parapet refuses it, so you cannot lock yourself out.')), h('button', { type: 'submit' }, 'Save policy'));
  parts.push(
    form({ id: 'policy' }, fields, async (data) => {
      const optional = (v) => (String(v ?? '').trim() === '' ? null : Number(v));
      await api(`${base}/security-policy`, {
        method: 'PUT',
        body: {
          mfa_required: data.get('mfa_required') === 'on',
          allowed_mfa_methods: data.getAll('methods'),
          session_idle_minutes: optional(data.get('idle')),
          session_absolute_hours: optional(data.get('absolute')),
          ip_allowlist: String(data.get('ips') ?? '').split(/\s+/).filter(Boolean),
        },
      });
      say('The policy is saved.', true);
    }),
  );
  return parts;
}
