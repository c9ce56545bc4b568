/**
 * The mutant catalog: seeded protocol bugs kept as patches in test/mutants, indexed by
 * test/mutants/mutants.json (docs/mutants.md). Each entry names its patch, the algorithm
 * whose simulated cluster hunts it, the `parley sim` flags it is hunted with, and what makes
 * it a real bug (the class, where real systems shipped it, what makes it visible), and
 * optionally the `parley run` flags that differ when it is hunted with real processes
 * (`real`, harness/mutants/real-flags.ts).
 *
 * The catalog lives only in the source repository: the npm package ships dist/, not test/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UsageError } from '../../nodes/common/errors.js';
import { PACKAGE_ROOT } from '../paths.js';
import { ALGORITHMS } from '../../nodes/registry.js';
import { realFlags, realFlagsProblem } from './real-flags.js';

export const MUTANTS_SCHEMA = 'parley.mutants/1';

/** The bug classes real implementations shipped (issue [1/6]): what a mutant stands for. */
export const BUG_CLASSES = [
  'quorum',
  'vote-rule',
  'vote-durability',
  'read-path',
  'log-conflict',
  'learning',
  'durability-order',
  'recovery',
  'atomic-commit',
  'locking',
  'merge',
  'anti-entropy',
  'client-outcome',
] as const;

/** Classes that lose state across a crash or power loss: every algorithm needs one. */
export const DURABILITY_CLASSES: readonly string[] = ['vote-durability', 'durability-order', 'recovery'];

/** Flags the runner sets itself; a catalog entry must not (its budget would no longer be the runner's). */
const RUNNER_FLAGS = ['--algo', '--seeds', '--time', '--seed', '--out', '--replay', '--quiet', '--no-shrink', '--shrink', '--workers', '--keep-going'];

const mutantSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'lower-case words joined by "-"'),
    patch: z.string().regex(/^[a-z0-9-]+\.patch$/, 'a file name ending in .patch, beside mutants.json'),
    algorithm: z.enum(ALGORITHMS),
    layer: z.enum(['core', 'runtime']),
    class: z.enum(BUG_CLASSES),
    sim: z.array(z.string().min(1)),
    real: z.array(z.string().min(1)).optional(),
    bug: z.string().min(1),
    shipped: z.string().min(1),
    visibleBy: z.string().min(1),
  })
  .superRefine((m, ctx) => {
    for (const [i, arg] of m.sim.entries()) {
      const flag = arg.split('=')[0]!;
      if (RUNNER_FLAGS.includes(flag)) ctx.addIssue({ code: 'custom', path: ['sim', i], message: `${flag} is set by the runner, not by a mutant` });
    }
    const real = m.real ? realFlagsProblem(m.real) : null;
    if (real) ctx.addIssue({ code: 'custom', path: ['real', real.index], message: real.message });
  });

const catalogSchema = z.object({
  schema: z.literal(MUTANTS_SCHEMA),
  about: z.string().optional(),
  mutants: z.array(mutantSchema).min(1),
});

export type Mutant = z.infer<typeof mutantSchema>;
export type Catalog = z.infer<typeof catalogSchema>;

export interface LoadedCatalog extends Catalog {
  dir: string;
}

export function mutantsDir(root: string = PACKAGE_ROOT): string {
  return path.join(root, 'test', 'mutants');
}

/**
 * Read and check the catalog: the schema, unique names and patches, every listed patch
 * present and every patch in the folder listed. Any problem is a UsageError naming the
 * file and the field.
 */
export function loadCatalog(dir: string = mutantsDir()): LoadedCatalog {
  const file = path.join(dir, 'mutants.json');
  if (!fs.existsSync(file)) {
    throw new UsageError(`${file}: not found; the mutants ship only with parley's source repository (test/mutants), not with the npm package`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`${file}: not JSON (${(err as Error).message})`);
  }
  const parsed = catalogSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const catalog = parsed.data;
  const seen = new Set<string>();
  const patches = new Set<string>();
  for (const [i, m] of catalog.mutants.entries()) {
    if (seen.has(m.name)) throw new UsageError(`${file}: mutants.${i}.name: ${m.name} appears twice`);
    seen.add(m.name);
    if (patches.has(m.patch)) throw new UsageError(`${file}: mutants.${i}.patch: ${m.patch} is used by two mutants`);
    patches.add(m.patch);
    if (!fs.existsSync(path.join(dir, m.patch))) throw new UsageError(`${file}: mutants.${i}.patch: ${m.patch} does not exist in ${dir}`);
  }
  for (const f of fs.readdirSync(dir)) {
    if (f.endsWith('.patch') && !patches.has(f)) throw new UsageError(`${file}: ${f} is in ${dir} but no mutant lists it`);
  }
  return { ...catalog, dir };
}

/** The files a unified diff changes (its `diff --git a/X b/Y` lines, or `+++ b/Y`). */
export function patchedFiles(patch: string): string[] {
  const files = new Set<string>();
  for (const line of patch.split('\n')) {
    const git = /^diff --git a\/(\S+) b\/(\S+)$/.exec(line);
    if (git) files.add(git[2]!);
    const plus = /^\+\+\+ b\/(\S+)$/.exec(line);
    if (plus) files.add(plus[1]!);
  }
  return [...files];
}

/**
 * The mutants a list of selectors names: a mutant's name, an algorithm (raft, paxos, twopc,
 * gossip) or a layer (core, runtime). No selectors: all of them.
 */
export function selectMutants(catalog: Catalog, selectors: readonly string[]): Mutant[] {
  if (selectors.length === 0) return catalog.mutants;
  for (const s of selectors) {
    if (!catalog.mutants.some((m) => m.name === s || m.algorithm === s || m.layer === s)) {
      throw new UsageError(`--only ${s}: no mutant, algorithm or layer of that name (mutants: ${catalog.mutants.map((m) => m.name).join(', ')})`);
    }
  }
  return catalog.mutants.filter((m) => selectors.some((s) => m.name === s || m.algorithm === s || m.layer === s));
}

export interface HuntConfig {
  algorithm: Mutant['algorithm'];
  sim: string[];
  /** The mutants hunted with exactly these flags. */
  mutants: string[];
}

export interface RealHuntConfig {
  algorithm: Mutant['algorithm'];
  /** The `parley run` flags (harness/mutants/real-flags.ts), without the runner's. */
  real: string[];
  mutants: string[];
}

/** The distinct (algorithm, real flags) configurations of some mutants: what `--real --control` runs unmutated. */
export function realHuntConfigs(mutants: readonly Mutant[], defaults?: readonly string[]): RealHuntConfig[] {
  const byKey = new Map<string, RealHuntConfig>();
  for (const m of mutants) {
    const real = realFlags(m, defaults);
    const key = JSON.stringify([m.algorithm, real]);
    const config = byKey.get(key);
    if (config) config.mutants.push(m.name);
    else byKey.set(key, { algorithm: m.algorithm, real, mutants: [m.name] });
  }
  return [...byKey.values()];
}

/** The distinct (algorithm, flags) configurations of some mutants: what `--control` runs unmutated. */
export function huntConfigs(mutants: readonly Mutant[]): HuntConfig[] {
  const byKey = new Map<string, HuntConfig>();
  for (const m of mutants) {
    const key = JSON.stringify([m.algorithm, m.sim]);
    const config = byKey.get(key);
    if (config) config.mutants.push(m.name);
    else byKey.set(key, { algorithm: m.algorithm, sim: [...m.sim], mutants: [m.name] });
  }
  return [...byKey.values()];
}
