// @ts-check
// The module contract's import rule (docs/architecture.md): a module imports another module only
// through that module's index.ts, and platform/ never imports modules/.
import { dirname, relative, resolve, sep } from 'node:path';

/** `{ area: 'modules', name }`, `{ area: 'platform' }` or undefined, for a path under src/. */
function areaOf(file, srcDir) {
  const parts = relative(srcDir, file).split(sep);
  if (parts[0] === '..' || parts.length < 2) return undefined;
  if (parts[0] === 'platform') return { area: 'platform' };
  if (parts[0] === 'modules' && parts.length >= 3) return { area: 'modules', name: parts[1], rest: parts.slice(2).join('/') };
  return undefined;
}

/** @type {import('eslint').Rule.RuleModule} */
const rule = {
  meta: {
    type: 'problem',
    docs: { description: "Imports across modules go through the other module's index.ts; platform/ does not import modules/." },
    messages: {
      deepImport: "Import module '{{target}}' through its index.ts, not '{{path}}' (module contract).",
      platformImportsModule: 'platform/ must not import modules/ (it holds no domain code): {{path}}',
    },
    schema: [{ type: 'object', properties: { srcDir: { type: 'string' } }, additionalProperties: false }],
  },
  create(context) {
    const srcDir = resolve(context.options[0]?.srcDir ?? 'src');
    const from = areaOf(context.filename, srcDir);
    if (from === undefined) return {};
    function check(node, source) {
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const target = areaOf(resolve(dirname(context.filename), source), srcDir);
      if (target?.area !== 'modules') return;
      if (from.area === 'platform') {
        context.report({ node, messageId: 'platformImportsModule', data: { path: source } });
        return;
      }
      if (target.name !== from.name && target.rest !== 'index.ts') context.report({ node, messageId: 'deepImport', data: { target: target.name, path: source } });
    }
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => check(node, node.source?.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => check(node, node.source.type === 'Literal' ? node.source.value : undefined),
    };
  },
};

export default { rules: { 'module-boundaries': rule } };
