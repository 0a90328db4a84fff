// Reads the one-time token from the URL fragment (never sent to the server by the browser) and
// removes it from the address bar and history before doing anything else.
const token = new URLSearchParams(location.hash.slice(1)).get('token') ?? '';
history.replaceState(null, '', location.pathname);
const form = document.getElementById('setup');
const message = document.getElementById('message');
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const data = new FormData(form);
  if (data.get('password') !== data.get('confirm')) { message.textContent = 'The passwords do not match.'; return; }
  const response = await fetch('/api/v1/setup', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, email: data.get('email'), password: data.get('password'), display_name: data.get('display_name') }),
  });
  if (response.ok) { location.assign('/login?setup=done'); return; }
  const problem = await response.json().catch(() => ({}));
  message.textContent = problem.detail ?? problem.title ?? 'Setup failed.';
});
