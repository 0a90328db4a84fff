// The sign-in page is one document with a step shown at a time (password, second factor,
// enrolment, recovery codes) and one message line for every step.
const message = document.getElementById('message');

/** Shows the `[data-step]` element with this id and hides the others. */
export function showStep(id) {
  for (const step of document.querySelectorAll('[data-step]')) step.hidden = step.id !== id;
}

/** Sets the message line ('' clears it). */
export function say(text) {
  message.textContent = text;
}

let running = false;
/** Runs `work` unless another request of the page is still under way (a double click sends one). */
export async function once(work) {
  if (running) return;
  running = true;
  try {
    await work();
  } finally {
    running = false;
  }
}
