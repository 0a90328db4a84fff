// Compares two V8 heap snapshots (an investigation aid for the soak, not a benchmark):
//   node bench/heap-diff.ts <earlier.heapsnapshot> <later.heapsnapshot> [rows] [key]
// Prints each snapshot's live size, the constructors whose count or self size grew most, and the
// largest single objects of the later snapshot with a retainer path (which Map, array or closure
// holds them), so a collection that grows without bound shows up by name. With a key (as printed,
// e.g. `object:Timeout`), also who holds that key's objects in the later snapshot: the retainer
// paths, grouped, of all its instances.
import { readFileSync } from 'node:fs';

interface Snapshot {
  readonly nodeFields: readonly string[];
  readonly nodeTypes: readonly string[];
  readonly edgeFields: readonly string[];
  readonly edgeTypes: readonly string[];
  readonly nodes: Float64Array;
  readonly edges: Float64Array;
  readonly strings: readonly string[];
}

/** Parses a number array starting at `from` (just after its `[`) up to its `]`. */
function numbers(buffer: Buffer, from: number, count: number): { values: Float64Array; end: number } {
  const values = new Float64Array(count);
  let n = 0;
  let current = 0;
  let inNumber = false;
  let i = from;
  for (; i < buffer.length; i++) {
    const c = buffer[i]!;
    if (c >= 48 && c <= 57) {
      current = current * 10 + (c - 48);
      inNumber = true;
    } else {
      if (inNumber) {
        values[n++] = current;
        current = 0;
        inNumber = false;
      }
      if (c === 93) break;
    }
  }
  return { values: n === count ? values : values.subarray(0, n), end: i };
}

function load(path: string): Snapshot {
  const buffer = readFileSync(path);
  const nodesAt = buffer.indexOf('"nodes":[');
  const header = JSON.parse(`${buffer.subarray(0, nodesAt).toString().replace(/,\s*$/, '')}}`) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] }; node_count: number; edge_count: number };
  };
  const meta = header.snapshot.meta;
  const nodes = numbers(buffer, nodesAt + 9, header.snapshot.node_count * meta.node_fields.length);
  const edgesAt = buffer.indexOf('"edges":[', nodes.end);
  const edges = numbers(buffer, edgesAt + 9, header.snapshot.edge_count * meta.edge_fields.length);
  const stringsAt = buffer.indexOf('"strings":[', edges.end);
  let depth = 0;
  let end = stringsAt + 10;
  let inString = false;
  for (; end < buffer.length; end++) {
    const c = buffer[end]!;
    if (inString) {
      if (c === 92) end++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91) depth++;
    else if (c === 93 && --depth === 0) break;
  }
  const strings = JSON.parse(buffer.subarray(stringsAt + 10, end + 1).toString()) as string[];
  return { nodeFields: meta.node_fields, nodeTypes: meta.node_types[0], edgeFields: meta.edge_fields, edgeTypes: meta.edge_types[0], nodes: nodes.values, edges: edges.values, strings };
}

interface Summary {
  readonly total: number;
  readonly byKey: Map<string, { count: number; size: number }>;
}

function describe(s: Snapshot, node: number): string {
  const w = s.nodeFields.length;
  const type = s.nodeTypes[s.nodes[node * w + s.nodeFields.indexOf('type')]!] ?? '?';
  const name = s.strings[s.nodes[node * w + s.nodeFields.indexOf('name')]!] ?? '?';
  if (type === 'string' || type === 'concatenated string' || type === 'sliced string') return `(${type})`;
  if (type === 'number' || type === 'code' || type === 'array') return `(${type}) ${type === 'array' ? name : ''}`.trim();
  return `${type}:${name.length > 60 ? `${name.slice(0, 57)}...` : name}`;
}

function summarize(s: Snapshot): Summary {
  const w = s.nodeFields.length;
  const sizeField = s.nodeFields.indexOf('self_size');
  const byKey = new Map<string, { count: number; size: number }>();
  let total = 0;
  for (let node = 0; node * w < s.nodes.length; node++) {
    const size = s.nodes[node * w + sizeField]!;
    total += size;
    const key = describe(s, node);
    const entry = byKey.get(key) ?? { count: 0, size: 0 };
    entry.count++;
    entry.size += size;
    byKey.set(key, entry);
  }
  return { total, byKey };
}

/**
 * For each node, the node that holds it on a shortest path from the GC roots through strong edges
 * (a breadth-first search), and the name of that edge: "who retains this" in the sense of the
 * DevTools retainer view's first line.
 */
function firstRetainers(s: Snapshot): { retainer: Int32Array; edgeName: string[] } {
  const w = s.nodeFields.length;
  const ew = s.edgeFields.length;
  const edgeCountField = s.nodeFields.indexOf('edge_count');
  const typeField = s.edgeFields.indexOf('type');
  const nameField = s.edgeFields.indexOf('name_or_index');
  const toField = s.edgeFields.indexOf('to_node');
  const nodeCount = s.nodes.length / w;
  const firstEdge = new Int32Array(nodeCount + 1);
  for (let node = 0; node < nodeCount; node++) firstEdge[node + 1] = firstEdge[node]! + s.nodes[node * w + edgeCountField]!;
  const retainer = new Int32Array(nodeCount).fill(-1);
  const edgeName: string[] = new Array<string>(nodeCount);
  const queue = new Int32Array(nodeCount);
  const seen = new Uint8Array(nodeCount);
  let head = 0;
  let tail = 0;
  queue[tail++] = 0;
  seen[0] = 1;
  while (head < tail) {
    const node = queue[head++]!;
    for (let edge = firstEdge[node]!; edge < firstEdge[node + 1]!; edge++) {
      const edgeType = s.edgeTypes[s.edges[edge * ew + typeField]!];
      if (edgeType === 'weak' || edgeType === 'shortcut') continue;
      const to = s.edges[edge * ew + toField]! / w;
      if (seen[to] === 1) continue;
      seen[to] = 1;
      retainer[to] = node;
      const nameOrIndex = s.edges[edge * ew + nameField]!;
      edgeName[to] = edgeType === 'element' || edgeType === 'hidden' ? `[${nameOrIndex}]` : (s.strings[nameOrIndex] ?? '?');
      queue[tail++] = to;
    }
  }
  return { retainer, edgeName };
}

const [earlierPath, laterPath, rowsArg, holdersOf] = process.argv.slice(2);
if (earlierPath === undefined || laterPath === undefined) {
  process.stderr.write('usage: node bench/heap-diff.ts <earlier.heapsnapshot> <later.heapsnapshot> [rows]\n');
  process.exit(2);
}
const rows = Number(rowsArg ?? 25);
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(2);
const earlier = summarize(load(earlierPath));
const laterSnapshot = load(laterPath);
const later = summarize(laterSnapshot);
process.stdout.write(`live heap: ${mb(earlier.total)} MB -> ${mb(later.total)} MB\n\nlargest growth by self size (key: count before -> after, MB before -> after)\n`);
const keys = new Set([...earlier.byKey.keys(), ...later.byKey.keys()]);
const deltas = [...keys].map((key) => {
  const a = earlier.byKey.get(key) ?? { count: 0, size: 0 };
  const b = later.byKey.get(key) ?? { count: 0, size: 0 };
  return { key, a, b, delta: b.size - a.size };
});
for (const d of deltas.sort((x, y) => y.delta - x.delta).slice(0, rows)) {
  process.stdout.write(`  ${d.key}: ${d.a.count} -> ${d.b.count}, ${mb(d.a.size)} -> ${mb(d.b.size)} (+${mb(d.delta)})\n`);
}
process.stdout.write(`\nlargest objects in the later snapshot, with a retainer path\n`);
const w = laterSnapshot.nodeFields.length;
const sizeField = laterSnapshot.nodeFields.indexOf('self_size');
const nodeCount = laterSnapshot.nodes.length / w;
const order = Array.from({ length: nodeCount }, (_, i) => i).sort((x, y) => laterSnapshot.nodes[y * w + sizeField]! - laterSnapshot.nodes[x * w + sizeField]!);
const { retainer, edgeName } = firstRetainers(laterSnapshot);
for (const node of order.slice(0, rows)) {
  const path: string[] = [];
  for (let at = node, depth = 0; at !== -1 && depth < 8; at = retainer[at]!, depth++) {
    path.push(`${describe(laterSnapshot, at)}${edgeName[at] === undefined ? '' : ` .${edgeName[at]}`}`);
  }
  process.stdout.write(`  ${mb(laterSnapshot.nodes[node * w + sizeField]!)} MB  ${path.join('  <-  ')}\n`);
}
if (holdersOf !== undefined) {
  const paths = new Map<string, number>();
  for (let node = 0; node < nodeCount; node++) {
    if (describe(laterSnapshot, node) !== holdersOf) continue;
    const path: string[] = [];
    // Up to 8 steps, a run of one kind of link (a linked list's nodes) counting as one step.
    for (let at = retainer[node]!, depth = 0, steps = 0; at !== -1 && steps < 8 && depth < 100_000; at = retainer[at]!, depth++) {
      const step = `${describe(laterSnapshot, at)}${edgeName[at] === undefined ? '' : ` .${edgeName[at]}`}`;
      const kind = describe(laterSnapshot, at);
      if (path.length > 0 && path.at(-1)?.startsWith(`${kind} `) === true && /^(next|previous|prev)$/.test(edgeName[at] ?? '')) continue;
      path.push(step);
      steps++;
    }
    const key = path.join('  <-  ');
    paths.set(key, (paths.get(key) ?? 0) + 1);
  }
  process.stdout.write(`\nwho holds ${holdersOf} (count, retainer path)\n`);
  for (const [path, count] of [...paths].sort((a, b) => b[1] - a[1]).slice(0, rows)) process.stdout.write(`  ${count}  ${path}\n`);
}
