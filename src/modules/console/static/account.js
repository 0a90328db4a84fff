// The account page every signed-in person has: profile, "confirm it is you" (step-up), password,
// authenticator app with a QR code, recovery codes, passkeys, sessions, data export, deletion.
import { renderSVG } from '/assets/qr.js';
import { api, confirmed, copyButton, field, form, h, say, table, when, refresh } from '/assets/dom.js';
import { ceremonyMessage, createCredential, passkeysSupported } from '/assets/webauthn.js';


/** The QR code of an otpauth:// URI as an <img> of an SVG drawn in the browser (img-src allows data:; an <img> runs no script). */
export function qrImage(uri) {
  const svg = renderSVG(uri, { ecc: 'M', border: 2 });
  return h('img', { id: 'totp-qr', src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`, alt: 'QR code of the authenticator app key: scan it with the app', width: 200, height: 200 });
}

function codesBlock(codes) {
  const text = codes.join('\n');
  const download = h('a', { href: `data:text/plain;charset=utf-8,${encodeURIComponent(`Parapet recovery codes\n${text}\n`)}`, download: 'parapet-recovery-codes.txt' }, 'Download as a file');
  return h('div', { id: 'new-recovery-codes', className: 'warning' },
    h('p', {}, h('strong', {}, 'Store these recovery codes now: they are shown only this once.'), ' Each works once, in place of the app code.'),
    h('ol', { className: 'codes' }, codes.map((c) => h('li', {}, c))), copyButton(text, 'Copy the codes'), ' ', download);
}

/** Renders the account page. */
export async function renderAccount(me) {
  const [mfa, sessions] = await Promise.all([api('/api/v1/auth/mfa'), api('/api/v1/auth/sessions')]);
  const passkeys = mfa.available_methods.includes('webauthn') ? (await api('/api/v1/auth/passkeys')).items : null;
  const parts = [h('h1', {}, 'Your account')];

  // ---- profile
  parts.push(h('h2', {}, 'Profile'), h('p', {}, `Email: ${me.user.email}`),
    form({ id: 'profile' }, [field('Display name', h('input', { id: 'display-name', name: 'display_name', required: true, maxlength: 100, value: me.user.display_name, autocomplete: 'name' })), h('button', { type: 'submit' }, 'Save name')], async (data) => {
      await api('/api/v1/users/me', { method: 'PATCH', body: { display_name: data.get('display_name') } });
      say('Your name is saved.', true);
    }));

  // ---- email change: the new address confirms by its mailed link (/confirm-email), the old one is told
  parts.push(h('h3', {}, 'Change your email address'),
    h('p', {}, 'A link goes to the new address; the address changes when it is opened there (your other sessions then end). Your current address is told, with a link to stop a change you did not make.'),
    form({ id: 'email-change' }, [
      field('New email address', h('input', { id: 'new-email', name: 'new_email', type: 'email', required: true, maxlength: 254, autocomplete: 'email' })),
      field('Current password', h('input', { id: 'email-change-password', name: 'password', type: 'password', required: true, autocomplete: 'current-password' })),
      h('button', { type: 'submit' }, 'Send the confirmation link'),
    ], async (data, element) => {
      await api('/api/v1/auth/email/change', { method: 'POST', body: { new_email: String(data.get('new_email')).trim(), password: data.get('password') } });
      element.reset();
      say('A confirmation link is on its way to the new address. Until it is opened, you sign in with your current address.', true);
    }));

  // ---- step-up: sensitive changes need a recent sign-in
  const hasFactor = mfa.methods.includes('totp');
  parts.push(h('h2', {}, 'Confirm it is you'), h('p', {}, 'Setting up second factors, changing recovery codes and saving security policies need a recent sign-in. Confirm here when Parapet asks.'),
    form({ id: 'reauth' }, [
      field('Password', h('input', { id: 'reauth-password', name: 'password', type: 'password', required: true, autocomplete: 'current-password' })),
      hasFactor ? field('Code from your authenticator app', h('input', { id: 'reauth-code', name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 64 })) : '',
      h('button', { type: 'submit' }, 'Confirm'),
    ], async (data, element) => {
      const code = String(data.get('code') ?? '').replace(/\s+/g, '');
      await api('/api/v1/auth/reauthenticate', { method: 'POST', body: { password: data.get('password'), ...(code ? { method: 'totp', code } : {}) } });
      element.reset();
      say('Confirmed. You can make sensitive changes for the next few minutes.', true);
    }));

  // ---- password
  parts.push(h('h2', {}, 'Password'),
    form({ id: 'password-change' }, [
      field('Current password', h('input', { id: 'current-password', name: 'current', type: 'password', required: true, autocomplete: 'current-password' })),
      field('New password', h('input', { id: 'new-password', name: 'next', type: 'password', required: true, minlength: 12, maxlength: 128, autocomplete: 'new-password' }), '(12 to 128 characters; a long passphrase is best)'),
      field('Repeat the new password', h('input', { id: 'repeat-password', name: 'repeat', type: 'password', required: true, autocomplete: 'new-password' })),
      h('button', { type: 'submit' }, 'Change password'),
    ], async (data, element) => {
      if (data.get('next') !== data.get('repeat')) return say('The new passwords do not match.');
      await api('/api/v1/auth/password/change', { method: 'POST', body: { current_password: data.get('current'), new_password: data.get('next') } });
      element.reset();
      say('Your password is changed. Your other sessions were ended.', true);
    }));

  // ---- authenticator app
  const totpArea = h('div', { id: 'totp-area' });
  parts.push(h('h2', {}, 'Authenticator app'), totpArea);
  if (mfa.totp) {
    totpArea.append(h('p', { id: 'totp-status' }, `Set up on ${when(mfa.totp.confirmed_at)}.`),
      h('button', { type: 'button', className: 'danger', id: 'totp-remove', onclick: async () => {
        if (!confirmed('Remove the authenticator app from your account?')) return;
        try { await api('/api/v1/auth/mfa/totp', { method: 'DELETE' }); await refresh(); } catch (error) { say(error.message + (error.code === 'reauthentication_required' ? ' Confirm it is you above, then retry.' : '')); }
      } }, 'Remove the authenticator app'));
  } else {
    totpArea.append(h('p', { id: 'totp-status' }, 'Not set up.'), h('button', { type: 'button', id: 'totp-start', onclick: async () => {
      try {
        const started = await api('/api/v1/auth/mfa/totp', { method: 'POST' });
        const confirm = form({ id: 'totp-confirm' }, [
          field('Code the app shows now', h('input', { id: 'totp-code', name: 'code', required: true, maxlength: 64, inputmode: 'numeric', autocomplete: 'one-time-code' })),
          h('button', { type: 'submit' }, 'Confirm'),
        ], async (data) => {
          const result = await api('/api/v1/auth/mfa/totp/confirm', { method: 'POST', body: { code: String(data.get('code')).replace(/\s+/g, '') } });
          totpArea.replaceChildren(h('p', { id: 'totp-status' }, 'The authenticator app is set up.'), ...(Array.isArray(result.recovery_codes) ? [codesBlock(result.recovery_codes)] : []));
        });
        totpArea.replaceChildren(
          h('p', {}, 'Scan this code with your authenticator app, or type the key in:'), qrImage(started.otpauth_uri),
          h('p', {}, h('code', { id: 'totp-secret', className: 'secret' }, started.secret)), confirm);
        document.getElementById('totp-code')?.focus();
      } catch (error) { say(error.message + (error.code === 'reauthentication_required' ? ' Confirm it is you above, then retry.' : '')); }
    } }, 'Set up an authenticator app'));
  }

  // ---- recovery codes
  const recovery = h('div', { id: 'recovery-area' }, h('p', { id: 'recovery-remaining' }, `${mfa.recovery_codes_remaining} recovery code(s) left.`));
  if (mfa.methods.length > 0) {
    recovery.append(h('button', { type: 'button', id: 'recovery-regenerate', className: 'secondary', onclick: async () => {
      if (!confirmed('Replace your recovery codes? The old ones stop working.')) return;
      try { const result = await api('/api/v1/auth/mfa/recovery-codes', { method: 'POST' }); recovery.replaceChildren(codesBlock(result.recovery_codes)); }
      catch (error) { say(error.message + (error.code === 'reauthentication_required' ? ' Confirm it is you above, then retry.' : '')); }
    } }, 'Make new recovery codes'));
  }
  parts.push(h('h2', {}, 'Recovery codes'), recovery);

  // ---- passkeys
  if (passkeys !== null) {
    const rows = passkeys.map((p) => [p.name, when(p.created_at), when(p.last_used_at), h('div', { className: 'actions' },
      h('button', { type: 'button', className: 'secondary', onclick: async () => {
        const name = window.prompt('New name for this passkey', p.name);
        if (!name) return;
        try { await api(`/api/v1/auth/passkeys/${p.id}`, { method: 'PATCH', body: { name } }); await refresh(); } catch (error) { say(error.message); }
      } }, 'Rename'),
      h('button', { type: 'button', className: 'danger', onclick: async () => {
        if (!confirmed(`Remove the passkey "${p.name}"?`)) return;
        try { await api(`/api/v1/auth/passkeys/${p.id}`, { method: 'DELETE' }); await refresh(); } catch (error) { say(error.message); }
      } }, 'Remove'))]);
    parts.push(h('h2', {}, 'Passkeys and security keys'), table('Your passkeys', ['Name', 'Added', 'Last used', 'Actions'], rows, { id: 'passkeys' }));
    if (passkeysSupported()) {
      parts.push(form({ id: 'passkey-add' }, [field('Name for a new passkey', h('input', { id: 'passkey-new-name', name: 'name', required: true, maxlength: 100, value: 'Passkey' })), h('button', { type: 'submit' }, 'Add a passkey')], async (data) => {
        const options = await api('/api/v1/auth/passkeys/registration/options', { method: 'POST', body: {} });
        let response;
        try { response = await createCredential(options); } catch (error) { return say(ceremonyMessage(error)); }
        await api('/api/v1/auth/passkeys/registration/verify', { method: 'POST', body: { name: String(data.get('name')).trim(), response } });
        await refresh();
      }));
    } else parts.push(h('p', {}, 'This browser cannot create passkeys here (passkeys need Parapet opened at a host name over https, or localhost).'));
  }

  // ---- sessions
  const sessionRows = sessions.items.map((s) => [
    s.current ? 'This browser' : (s.user_agent ?? 'Unknown device'), s.ip ?? '—', when(s.created_at), when(s.last_seen_at),
    s.current ? '' : h('button', { type: 'button', className: 'secondary end-session', 'data-session': s.id, onclick: async () => {
      try { await api(`/api/v1/auth/sessions/${s.id}`, { method: 'DELETE' }); await refresh(); } catch (error) { say(error.message); }
    } }, 'End'),
  ]);
  parts.push(h('h2', {}, 'Sessions'), table('Where you are signed in', ['Device', 'Address', 'Signed in', 'Last seen', ''], sessionRows, { id: 'sessions' }));

  // ---- export and deletion
  parts.push(h('h2', {}, 'Your data'), h('p', {}, h('a', { id: 'export-link', href: '/api/v1/users/me/export', download: 'parapet-export.json' }, 'Download everything Parapet holds about you (JSON)')),
    h('h2', {}, 'Delete your account'),
    h('p', {}, 'You are signed out everywhere and cannot sign in; after the grace period the account is purged. Until then a link in the mail (and the token shown here) cancels it. The last owner of an organization cannot delete their account.'),
    h('button', { type: 'button', id: 'delete-account', className: 'danger', onclick: async () => {
      if (!confirmed('Delete your account? You will be signed out everywhere.')) return;
      try {
        const result = await api('/api/v1/users/me', { method: 'DELETE' });
        document.getElementById('view').replaceChildren(h('h1', {}, 'Your account will be deleted'),
          h('p', {}, `It is purged after ${when(result.purge_after)}. To keep it, open the link in the mail we sent, or keep this cancel token:`),
          h('p', {}, h('code', { className: 'secret' }, result.cancel_token)), h('p', {}, h('a', { href: '/login' }, 'Back to sign-in')));
      } catch (error) { say(error.message); }
    } }, 'Delete my account'));
  return parts;
}
