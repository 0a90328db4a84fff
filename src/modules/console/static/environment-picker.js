// The project / environment a tab works in (applications, secrets): every environment the caller
// can read, one chosen from the URL (#/org/<id>/<tab>/<projectId>/<environmentId>), the first by default.
import { api, field, h } from '/assets/dom.js';

/** `{ chosen: { project, env } | undefined, picker }` for tab `tab` of organization `org`. */
export async function pickEnvironment({ org, base, rest }, tab, id) {
  const choices = [];
  for (const project of (await api(`${base}/projects?limit=100`)).items) {
    for (const env of (await api(`${base}/projects/${project.id}/environments?limit=100`)).items) choices.push({ project, env });
  }
  const chosen = choices.find((c) => c.project.id === rest[0] && c.env.id === rest[1]) ?? choices[0];
  const picker = field('Environment', h('select', { id, onchange: (event) => { location.hash = `#/org/${org.id}/${tab}/${event.target.value}`; } },
    choices.map((c) => h('option', { value: `${c.project.id}/${c.env.id}`, ...(c === chosen ? { selected: true } : {}) }, `${c.project.name} / ${c.env.name}`))));
  return { chosen, picker };
}
