/**
 * The import graph of parley's source, read with the TypeScript compiler's own pre-parser
 * (`ts.preProcessFile`: static imports and re-exports, `import()` and `import type` alike),
 * and the two rules docs/architecture.md states for it: each folder imports only the
 * folders below it, and no module reaches itself through its imports.
 *
 * A type-only import counts: it is still one folder knowing another's internals, and the
 * graph is acyclic with types included, so there is nothing to excuse.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** Module (repo-relative path) -> the repo modules it imports. */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

/**
 * Which top-level folders each folder may import (itself included). bin/ and test/ sit
 * on top and may import anything, so they are not scanned. Bottom to top:
 * nodes <- workloads <- contracts <- reports <- harness.
 */
export const ALLOWED_IMPORTS: Readonly<Record<string, readonly string[]>> = {
  nodes: ['nodes'],
  workloads: ['workloads', 'nodes'],
  contracts: ['contracts', 'workloads', 'nodes'],
  reports: ['reports', 'contracts', 'workloads', 'nodes'],
  harness: ['harness', 'reports', 'contracts', 'workloads', 'nodes'],
};

export const folderOf = (module: string): string => module.split('/')[0]!;

function sourceFiles(root: string, folder: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
    }
  };
  walk(path.join(root, folder));
  return out;
}

/** The graph of every module under `folders`; package imports (zod, node:fs) are left out. */
export function readImportGraph(root: string, folders: readonly string[] = Object.keys(ALLOWED_IMPORTS)): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const folder of folders) {
    for (const file of sourceFiles(root, folder)) {
      const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
      const targets = importedFiles
        .map((f) => f.fileName)
        .filter((spec) => spec.startsWith('.'))
        // NodeNext: sources import './x.js' for x.ts.
        .map((spec) => path.relative(root, path.resolve(path.dirname(file), spec)).replace(/\.js$/, '.ts').split(path.sep).join('/'));
      graph.set(path.relative(root, file).split(path.sep).join('/'), [...new Set(targets)]);
    }
  }
  return graph;
}

/** Every import that goes against ALLOWED_IMPORTS (or out of the scanned folders), as "from -> to". */
export function folderViolations(graph: ImportGraph, allowed: Readonly<Record<string, readonly string[]>> = ALLOWED_IMPORTS): string[] {
  const out: string[] = [];
  for (const [from, targets] of graph) {
    const may = allowed[folderOf(from)] ?? [];
    for (const to of targets) if (!may.includes(folderOf(to))) out.push(`${from} -> ${to}`);
  }
  return out;
}

/** The import cycles: strongly connected components of more than one module, or a module importing itself (Tarjan). */
export function importCycles(graph: ImportGraph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}
