/**
 * The mutant catalog stays usable: mutants.json and the patch files agree, every patch still
 * applies to the current tree and touches only node code (never the simulator or the
 * checkers that hunt it), the patches stay out of the npm package, and one mutant, built in
 * a copy, is caught by `parley sim` (behaviour only: caught or not, never how fast).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ALGORITHMS, DURABILITY_CLASSES, huntConfigs, loadCatalog, patchedFiles, selectMutants } from '../../harness/mutants/catalog.js';
import { applyPatch, buildCopy, copyRepository } from '../../harness/mutants/copy.js';
import { runSim } from '../../harness/mutants/hunt.js';
import { main } from '../../harness/mutants/main.js';
import { EXIT } from '../../contracts/exit-codes.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = path.join(root, 'test', 'mutants');
const catalog = loadCatalog(dir);

/** The cheapest mutant to hunt end to end, and a seed count that finds it. */
const E2E_MUTANT = 'twopc-inquiry-presumed-abort';
/** Generous: the sweep stops at the first failing seed (seed 1 on the tree this was written against). */
const E2E_SEEDS = 10;

describe('mutant catalog', () => {
  it('lists every patch in the folder, and only those', () => {
    const listed = catalog.mutants.map((m) => m.patch).sort();
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.patch')).sort();
    expect(listed).toEqual(files);
  });

  it('covers every algorithm with at least four core mutants, one of them a durability bug, and the runtime with two', () => {
    for (const algo of ALGORITHMS) {
      const core = catalog.mutants.filter((m) => m.algorithm === algo && m.layer === 'core');
      expect(core.length, algo).toBeGreaterThanOrEqual(4);
      expect(core.some((m) => DURABILITY_CLASSES.includes(m.class)), `${algo} durability`).toBe(true);
    }
    expect(catalog.mutants.filter((m) => m.layer === 'runtime').length).toBeGreaterThanOrEqual(2);
    // The leaderless Multi-Paxos bug this repository fixed is kept as a mutant, hunted in its mode.
    const leaderless = catalog.mutants.find((m) => m.name === 'paxos-leaderless-overruled-round');
    expect(leaderless?.sim).toEqual(expect.arrayContaining(['mode=leaderless']));
  });

  it('has patches that change only node code and apply cleanly to the current tree', async () => {
    for (const m of catalog.mutants) {
      const files = patchedFiles(fs.readFileSync(path.join(dir, m.patch), 'utf8'));
      expect(files.length, m.name).toBeGreaterThan(0);
      for (const f of files) expect(f, m.name).toMatch(/^nodes\//);
      const layerDir = m.layer === 'runtime' ? 'nodes/common/' : `nodes/${m.algorithm}/`;
      for (const f of files) expect(f.startsWith(layerDir), `${m.name} changes ${f}`).toBe(true);
      const check = await applyPatch(root, path.join(dir, m.patch), { check: true });
      expect(check.output, m.name).toBe('');
      expect(check.ok, m.name).toBe(true);
    }
  });

  it('selects by name, algorithm or layer, and groups the hunt configurations for the control', () => {
    expect(selectMutants(catalog, ['raft-lease-read']).map((m) => m.name)).toEqual(['raft-lease-read']);
    expect(selectMutants(catalog, ['gossip']).every((m) => m.algorithm === 'gossip')).toBe(true);
    expect(selectMutants(catalog, ['runtime']).every((m) => m.layer === 'runtime')).toBe(true);
    const configs = huntConfigs(catalog.mutants);
    expect(configs.reduce((n, c) => n + c.mutants.length, 0)).toBe(catalog.mutants.length);
    expect(new Set(configs.map((c) => JSON.stringify([c.algorithm, c.sim]))).size).toBe(configs.length);
  });

  it('refuses bad flags with exit 64 before building anything', async () => {
    expect(await main(['--time', 'soon'])).toBe(EXIT.usage);
    expect(await main(['--only', 'no-such-mutant'])).toBe(EXIT.usage);
    expect(await main(['--control', '0'])).toBe(EXIT.usage);
  });

  it('keeps test/ and the patches out of the npm package', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const files = (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(files).toContain('bin/parley.js');
    expect(files.filter((f) => f.startsWith('test/') || f.endsWith('.patch') || f.includes('mutants.json'))).toEqual([]);
  });
});

describe('a mutant, end to end', () => {
  it(
    `${E2E_MUTANT}: a built copy with the patch fails a parley sim sweep`,
    async () => {
      const m = catalog.mutants.find((x) => x.name === E2E_MUTANT)!;
      const copy = copyRepository(root, 'test');
      try {
        expect(fs.existsSync(path.join(copy.dir, '.git'))).toBe(false);
        expect(fs.lstatSync(path.join(copy.dir, 'node_modules')).isSymbolicLink()).toBe(true);
        expect((await applyPatch(copy.dir, path.join(dir, m.patch))).ok).toBe(true);
        const built = await buildCopy(copy.dir);
        expect(built.output).toBe('');
        expect(built.ok).toBe(true);
        const run = await runSim({ root: copy.dir, algorithm: m.algorithm, sim: m.sim, budget: { seeds: E2E_SEEDS }, workers: 1, out: path.join(copy.dir, 'out', 'sim') });
        expect(run.problem).toBeNull();
        expect(run.exitCode).toBe(EXIT.violation);
        expect(run.summary!.verdicts.invalid).toBeGreaterThan(0);
      } finally {
        copy.dispose();
      }
      // The original tree is untouched.
      expect(fs.readFileSync(path.join(root, 'nodes/twopc/coordinator.ts'), 'utf8')).toContain('if (!this.active.has(txid)) this.tellOutcome(from, txid);');
    },
    300_000,
  );
});
