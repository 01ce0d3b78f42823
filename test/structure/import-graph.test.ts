// The layout's rule, read from the imports: no circle between the folders (and top-level files)
// of src/, so every import points down a layering; context.ts names no domain; server.ts stays an
// assembly. Every import counts, type-only ones included (a type still couples two domains).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';

const SRC = join(import.meta.dirname, '../../src');
const IMPORT = /(?:\bfrom\s+|\bimport\s+|\bimport\(\s*|\bdeclare module\s+)['"](\.{1,2}\/[^'"]+)['"]/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'migrations' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Comments name modules too (examples, references): only code counts. */
function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

/** `accounts/` for src/accounts/…, `server.ts` for src/server.ts. */
function unitOf(file: string): string {
  const parts = relative(SRC, file).split(sep);
  return parts.length === 1 ? parts[0]! : `${parts[0]}/`;
}

function importGraph(): Map<string, Map<string, string[]>> {
  const graph = new Map<string, Map<string, string[]>>();
  for (const file of sourceFiles(SRC)) {
    const from = unitOf(file);
    const edges = graph.get(from) ?? new Map<string, string[]>();
    graph.set(from, edges);
    for (const [, spec] of withoutComments(readFileSync(file, 'utf8')).matchAll(IMPORT)) {
      const target = normalize(join(dirname(file), spec!));
      const to = unitOf(target);
      if (to === from) continue;
      const examples = edges.get(to) ?? [];
      examples.push(`${relative(SRC, file)} → ${relative(SRC, target)}`);
      edges.set(to, examples);
    }
  }
  return graph;
}

/** Strongly connected components with more than one member (Tarjan). */
function circles(graph: Map<string, Map<string, string[]>>): string[][] {
  let index = 0;
  const stack: string[] = [];
  const onStack = new Set<string>();
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    indices.set(node, index);
    low.set(node, index++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node)?.keys() ?? []) {
      if (!indices.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, indices.get(next)!));
    }
    if (low.get(node) === indices.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!indices.has(node)) visit(node);
  return found;
}

test('no two folders of src/ import each other, directly or around a circle', () => {
  const graph = importGraph();
  const found = circles(graph);
  const explain = found.map((component) =>
    component
      .flatMap((from) => [...(graph.get(from) ?? [])].filter(([to]) => component.includes(to)).map(([, examples]) => examples[0]))
      .join('\n  '),
  );
  assert.deepEqual(found, [], `import circles:\n  ${explain.join('\n\n  ')}`);
});

test('the context and the layers below the domains import no domain', () => {
  const graph = importGraph();
  const bottom = ['context.ts', 'config/', 'db/', 'util/', 'errors.ts', 'http/', 'mail/', 'schema/', 'realtime/', 'validation/', 'cli/'];
  for (const unit of bottom) {
    const reached = [...(graph.get(unit)?.keys() ?? [])].filter((to) => !bottom.includes(to));
    assert.deepEqual(reached, [], `${unit} imports ${reached.join(', ')}`);
  }
});

test('the circle detector itself reports a circle', () => {
  const graph = new Map([
    ['a/', new Map([['b/', ['a/x.ts → b/y.ts']]])],
    ['b/', new Map([['a/', ['b/y.ts → a/x.ts']]])],
    ['c/', new Map([['a/', ['c/z.ts → a/x.ts']]])],
  ]);
  assert.deepEqual(circles(graph), [['a/', 'b/']]);
});

test('src/server.ts stays an assembly of parts (at most 200 lines)', () => {
  const lines = readFileSync(join(SRC, 'server.ts'), 'utf8').split('\n').length;
  assert.ok(lines <= 200, `src/server.ts has ${lines} lines`);
});
