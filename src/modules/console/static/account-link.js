// One page for every mailed account link (docs/identity.md). Reads the single-use token from the
// URL fragment (never sent to the server by the browser) and removes it from the address bar and
// history before doing anything else; the token is then posted in a request body.
const token = new URLSearchParams(location.hash.slice(1)).get('token') ?? '';
history.replaceState(null, '', location.pathname);
const $ = (id) => document.getElementById(id);
const FLOWS = {
  '/reset-password': { title: 'Choose a new password', intro: 'Resetting signs you out everywhere. Then sign in with the new password and your second factor.', url: '/api/v1/auth/password/reset', password: true, done: 'Your password was changed. Sign in with it now.' },
  '/verify-email': { title: 'Confirm your email address', intro: 'Confirm that this address belongs to your Parapet account.', url: '/api/v1/auth/email/verify', done: 'Your address is confirmed.' },
  '/confirm-email': { title: 'Confirm your new email address', intro: 'Your other sessions end when you confirm.', url: '/api/v1/auth/email/change/confirm', done: 'Your address was changed.' },
  '/report-email-change': { title: 'Report an email change', intro: 'The pending change is cancelled and every session of your account ends. Then reset your password.', url: '/api/v1/auth/email/change/report', done: 'Reported: the change was cancelled and every session ended. Reset your password next.' },
  '/cancel-deletion': { title: 'Cancel the deletion of your account', intro: 'Your account stays, and you can sign in again.', url: '/api/v1/users/deletion/cancel', done: 'The deletion is cancelled: your account stays. Sign in again.' },
  '/accept-invitation': { title: 'Accept the invitation', intro: 'New to Parapet? Choose your name and a password. Already have an account with this address? Sign in in another tab, then accept with that account.', url: '/api/v1/invitations/accept', password: true, name: true, signedIn: true, done: 'You joined the organization.' },
};
const flow = FLOWS[location.pathname];
const form = $('link');
const message = $('message');
if (flow !== undefined) {
  $('title').textContent = flow.title;
  $('intro').textContent = flow.intro;
  form.hidden = false;
  $('password-fields').hidden = !flow.password;
  $('name-field').hidden = !flow.name;
  $('signed-in').hidden = !flow.signedIn;
}
async function submit(body) {
  const response = await fetch(flow.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, ...body }) });
  if (response.ok) {
    form.hidden = true;
    $('intro').textContent = flow.done;
    return;
  }
  const problem = await response.json().catch(() => ({}));
  message.textContent = problem.detail ?? problem.title ?? 'That did not work.';
}
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const data = new FormData(form);
  if (flow.password && data.get('password') !== data.get('confirm')) { message.textContent = 'The passwords do not match.'; return; }
  await submit(flow.password ? { password: data.get('password'), ...(flow.name ? { display_name: data.get('display_name') } : {}) } : {});
});
$('signed-in').addEventListener('click', () => submit({}));
