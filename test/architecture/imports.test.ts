/**
 * The import directions of docs/architecture.md, held: nodes <- workloads <- contracts <-
 * reports <- harness (each folder imports only those below it), and no import cycle
 * between any two modules. The rules are checked first on small graphs built to break
 * them, so a rule that stopped seeing violations would fail here, not pass in silence.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { folderViolations, importCycles, readImportGraph } from './import-graph.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const graphOf = (edges: Record<string, string[]>) => new Map(Object.entries(edges));

describe('the rules, on graphs built to break them', () => {
  it('flags an import that goes up the layers, and none that goes down', () => {
    const graph = graphOf({
      'reports/terminal.ts': ['harness/outputs.ts', 'contracts/results.ts'],
      'harness/outputs.ts': ['reports/index.ts'],
      'workloads/kv.ts': ['contracts/scenario.ts', 'nodes/common/core.ts'],
      'nodes/common/core.ts': ['workloads/history.ts'],
      'contracts/results.ts': ['workloads/metrics.ts'],
    });
    expect(folderViolations(graph)).toEqual([
      'reports/terminal.ts -> harness/outputs.ts',
      'workloads/kv.ts -> contracts/scenario.ts',
      'nodes/common/core.ts -> workloads/history.ts',
    ]);
  });

  it('flags an import out of the source folders (into test/ or bin/)', () => {
    expect(folderViolations(graphOf({ 'harness/cli.ts': ['test/helpers/cluster.ts'] }))).toEqual(['harness/cli.ts -> test/helpers/cluster.ts']);
  });

  it('finds a cycle through several modules and folders, and a module importing itself', () => {
    const graph = graphOf({
      'harness/outputs.ts': ['reports/index.ts'],
      'reports/index.ts': ['reports/terminal.ts'],
      'reports/terminal.ts': ['harness/outputs.ts', 'contracts/results.ts'],
      'contracts/results.ts': [],
      'nodes/a.ts': ['nodes/a.ts'],
    });
    expect(importCycles(graph)).toEqual([['harness/outputs.ts', 'reports/index.ts', 'reports/terminal.ts'], ['nodes/a.ts']]);
  });

  it('finds no cycle in a diamond', () => {
    const graph = graphOf({ 'harness/a.ts': ['harness/b.ts', 'harness/c.ts'], 'harness/b.ts': ['harness/d.ts'], 'harness/c.ts': ['harness/d.ts'], 'harness/d.ts': [] });
    expect(importCycles(graph)).toEqual([]);
  });
});

describe("parley's own source", () => {
  const graph = readImportGraph(ROOT);

  it('is read whole: static, type-only and dynamic imports all become edges', () => {
    expect(graph.size).toBeGreaterThan(200);
    // A static import, a type-only one, and the lazy import() of the report.
    expect(graph.get('harness/cli.ts')).toContain('contracts/exit-codes.ts');
    expect(graph.get('reports/index.ts')).toContain('contracts/results.ts');
    expect(graph.get('harness/outputs.ts')).toContain('reports/index.ts');
  });

  it('imports only down the layers: nodes <- workloads <- contracts <- reports <- harness', () => {
    expect(folderViolations(graph)).toEqual([]);
  });

  it('has no import cycle between modules', () => {
    expect(importCycles(graph)).toEqual([]);
  });
});
