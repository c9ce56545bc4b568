/**
 * The mutant catalog stays usable: mutants.json and the patch files agree, every patch still
 * applies to the current tree and touches only node code (never the simulator or the
 * checkers that hunt it), the patches stay out of the npm package, and one mutant, built in
 * a copy, is caught by `parley sim` (behaviour only: caught or not, never how fast). The
 * real-process mode (`--real`) is checked without running it: its flags, the `parley run`
 * command line it builds for a catalog entry, and the catalog's `real` field.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DURABILITY_CLASSES, huntConfigs, loadCatalog, patchedFiles, realHuntConfigs, selectMutants } from '../../harness/mutants/catalog.js';
import { applyPatch, buildCopy, copyRepository } from '../../harness/mutants/copy.js';
import { runSim } from '../../harness/mutants/hunt.js';
import { main, planFrom } from '../../harness/mutants/main.js';
import { ALGORITHMS } from '../../nodes/registry.js';
import { REAL_DEFAULTS, REAL_FLAGS, realFlags, realFlagsProblem, realRunArgs } from '../../harness/mutants/real-flags.js';
import { UsageError } from '../../nodes/common/errors.js';
import { EXIT } from '../../contracts/exit-codes.js';
import { scenarioFromFlags } from '../../harness/run-command.js';

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

  it('every schedule in schedules/ is a valid --faults file for a 5-node Raft run', () => {
    const folder = path.join(dir, 'schedules');
    const files = fs.readdirSync(folder);
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) {
      const { scenario } = scenarioFromFlags({ algo: 'raft', nodes: '5', duration: '20s', faults: path.join(folder, f), set: [] });
      expect(scenario.faults.length, f).toBeGreaterThan(0);
      for (const fault of scenario.faults) expect(fault.at + fault.duration, f).toBeLessThanOrEqual(20_000);
    }
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

  it('keeps test/, the patches and the incremental build state out of the npm package', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const files = (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(files).toContain('bin/parley.js');
    expect(files.filter((f) => f.startsWith('test/') || f.endsWith('.patch') || f.includes('mutants.json') || f.endsWith('.tsbuildinfo'))).toEqual([]);
  });
});

describe('--real: hunting with real processes (built, not run)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** main() with stderr captured: the exit code and the lines it wrote. */
  async function mainSaying(argv: string[]): Promise<{ code: number; lines: string[] }> {
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const code = await main(argv);
    vi.restoreAllMocks();
    return { code, lines: written.join('').split('\n').filter((l) => l !== '') };
  }

  it('accepts --real with a 3-minute default budget and --run-duration in place of the default load', () => {
    const plan = planFrom({ only: ['raft-quorum-half'], real: true }, catalog);
    expect(plan.real).toBe(true);
    expect(plan.timeMs).toBe(180_000);
    expect(plan.realDefaults).toEqual([...REAL_DEFAULTS]);
    const shorter = planFrom({ only: [], real: true, time: '90s', runDuration: '10s' }, catalog);
    expect(shorter.timeMs).toBe(90_000);
    expect(shorter.realDefaults).toContain('10s');
    expect(shorter.realDefaults).not.toContain('20s');
    expect(planFrom({ only: [] }, catalog).timeMs).toBe(60_000);
  });

  it('refuses flags that do not go with --real with exit 64 and one line naming the flag', async () => {
    for (const [argv, flag] of [
      [['--real', '--workers', '2'], '--workers'],
      [['--run-duration', '10s'], '--run-duration'],
      [['--real', '--run-duration', 'soon'], '--run-duration'],
      [['--real', '--time', '0s'], '--time'],
      [['--real', '--control', 'many'], '--control'],
    ] as const) {
      const { code, lines } = await mainSaying([...argv]);
      expect(code, argv.join(' ')).toBe(EXIT.usage);
      expect(lines, argv.join(' ')).toHaveLength(1);
      expect(lines[0], argv.join(' ')).toContain(flag);
    }
  });

  it('builds the parley run command of a catalog entry: defaults, the sim flags that mean the same, then its real flags', () => {
    const byName = (name: string) => catalog.mutants.find((m) => m.name === name)!;
    expect(realRunArgs({ algorithm: 'raft', flags: realFlags(byName('raft-quorum-half')), seed: 3, out: '/tmp/o' })).toEqual([
      'run', '--algo', 'raft', '--faults', 'chaos', '--duration', '20s', '--fault-interval', '3s', '--ops-per-key', '200', '--nodes', '5', '--seed', '3', '--out', '/tmp/o', '--quiet',
    ]);
    expect(realFlags(byName('paxos-ballot-ties'))).toEqual(expect.arrayContaining(['--set', 'mode=leaderless']));
    expect(realFlags(byName('twopc-inquiry-presumed-abort'))).toEqual(expect.arrayContaining(['--workload', 'bank', '--nodes', '3']));
    // A real entry replaces the default of the same flag, once.
    const torn = realFlags(byName('storage-torn-tail-kept'));
    expect(torn.filter((a) => a === '--faults')).toHaveLength(1);
    expect(torn[torn.indexOf('--faults') + 1]).toBe('power-loss,crash,partition');
  });

  it('keeps sim-only flags out of the real command, and overrides --set by its key', () => {
    const m = {
      sim: ['--nodes', '4', '--knobs', 'default', '--fault-gap', '250ms', '--sync', 'uniform:1ms-20ms', '--duration', '5s', '--faults', 'clog', '--set', 'a=1', '--set', 'b=1'],
      real: ['--set', 'a=2', '--duration=30s'],
    };
    expect(realFlags(m)).toEqual(['--faults', 'chaos', '--fault-interval', '3s', '--ops-per-key', '200', '--nodes', '4', '--set', 'b=1', '--set', 'a=2', '--duration', '30s']);
    for (const m2 of catalog.mutants) {
      const flags = realFlags(m2);
      expect(realFlagsProblem(flags), m2.name).toBeNull();
      for (const a of flags.filter((x) => x.startsWith('--'))) expect(REAL_FLAGS, `${m2.name}: ${a}`).toContain(a);
    }
    // The unmutated control runs each distinct real configuration once.
    const configs = realHuntConfigs(catalog.mutants);
    expect(configs.reduce((n, c) => n + c.mutants.length, 0)).toBe(catalog.mutants.length);
    expect(configs.some((c) => c.real.includes('power-loss,crash,partition'))).toBe(true);
  });

  it('validates a catalog entry\'s real flags: parley run flags only, none of the runner\'s, one value each', () => {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-catalog-'));
    try {
      fs.writeFileSync(path.join(scratch, 'x.patch'), '');
      const entry = catalog.mutants[0]!;
      const withReal = (real: string[]) => {
        fs.writeFileSync(path.join(scratch, 'mutants.json'), JSON.stringify({ schema: 'parley.mutants/1', mutants: [{ ...entry, patch: 'x.patch', real }] }));
        try {
          loadCatalog(scratch);
          return null;
        } catch (err) {
          expect(err).toBeInstanceOf(UsageError);
          return (err as Error).message;
        }
      };
      expect(withReal(['--keys', '2', '--set', 'x=1'])).toBeNull();
      expect(withReal(['--nodes', '5', '--knobs', 'default'])).toMatch(/mutants\.0\.real\.2: --knobs is not a parley run flag/);
      expect(withReal(['--fault-gap', '250ms'])).toMatch(/mutants\.0\.real\.0: --fault-gap/);
      expect(withReal(['--seed', '4'])).toMatch(/mutants\.0\.real\.0: --seed is set by the runner/);
      expect(withReal(['--nodes'])).toMatch(/mutants\.0\.real\.0: --nodes takes exactly one value/);
      expect(withReal(['5', '--nodes'])).toMatch(/mutants\.0\.real\.0: 5: a value before any flag/);
      expect(withReal(['--set', 'novalue'])).toMatch(/--set novalue: expected key=value/);
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
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
        // The copy started from the original's build (its incremental state came along) and
        // compiled the patched file again: its output is the mutant's, the rest is the original's.
        expect(fs.existsSync(path.join(copy.dir, 'dist', 'tsconfig.tsbuildinfo'))).toBe(true);
        const emitted = (tree: string, file: string) => fs.readFileSync(path.join(tree, 'dist', file), 'utf8');
        expect(emitted(copy.dir, 'nodes/twopc/coordinator.js')).not.toBe(emitted(root, 'nodes/twopc/coordinator.js'));
        expect(emitted(copy.dir, 'nodes/twopc/participant.js')).toBe(emitted(root, 'nodes/twopc/participant.js'));
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
