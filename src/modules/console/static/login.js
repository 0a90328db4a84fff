if (new URLSearchParams(location.search).get('setup') === 'done') {
  document.getElementById('notice').textContent = 'Administrator created. Sign in to continue.';
}
const form = document.getElementById('login');
const message = document.getElementById('message');
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const data = new FormData(form);
  const response = await fetch('/api/v1/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: data.get('email'), password: data.get('password') }),
  });
  if (response.ok) { location.assign('/console'); return; }
  const problem = await response.json().catch(() => ({}));
  message.textContent = problem.title ?? 'Sign-in failed.';
});
