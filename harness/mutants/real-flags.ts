/**
 * The `parley run` command line that hunts a mutant with real processes (`npm run mutants --
 * --real`, docs/mutants.md). Pure: the catalog test checks it without starting anything.
 *
 * A mutant's real flags are, from weakest to strongest: the runner's defaults (chaos, 20 s
 * of load, a fault every 3 s), the flags of its `sim` entry that mean the same thing to
 * `parley run` (cluster size, workload, node options, key space), and its optional `real`
 * entry. A later flag replaces an earlier one of the same name (`--set` by its key), so
 * `real` only has to say what differs. Sim-only flags (`--knobs`, `--fault-gap`, `--net`,
 * ...) never reach the real command: a simulated duration or a simulator nemesis means
 * something else, or nothing, to a real run.
 */

/** Flags the real runner sets itself (or that would run someone else's nodes): never from the catalog. */
export const REAL_RUNNER_FLAGS = ['--algo', '--seed', '--out', '--quiet', '--replay', '--scenario', '--name', '--json-schema', '--toxiproxy', '--system', '--node-command', '--consistency', '--max-throughput'];

/** `parley run` flags a catalog entry's `real` may set; each takes one value. */
export const REAL_FLAGS = [
  '--workload', '--nodes', '--duration', '--warmup', '--faults', '--fault-interval', '--fault-duration', '--rate', '--clients',
  '--target', '--keys', '--distribution', '--mix', '--value-size', '--ops-per-key', '--set', '--check-budget',
];

/**
 * `parley sim` flags that carry over to the real run unchanged: the shape of the cluster and
 * of the workload. The others (`--duration` is simulated time, `--faults` may name simulator
 * nemeses, `--rate` and `--clients` are sized for the simulator) are left to the defaults.
 */
const CARRIED_FROM_SIM = ['--nodes', '--workload', '--set', '--keys', '--ops-per-key', '--mix', '--value-size', '--distribution', '--target'];

/**
 * What a real hunt runs unless the mutant says otherwise: dense chaos (power loss and clock
 * faults included), runs short enough for several seeds in a budget, and independent keys
 * (each key retired after 200 operations, as Jepsen's `independent`), so a lost or stale
 * write is not buried under later overwrites of the same key. Workloads without keys to
 * retire (bank, dissemination) ignore it.
 */
export const REAL_DEFAULTS: readonly string[] = ['--faults', 'chaos', '--duration', '20s', '--fault-interval', '3s', '--ops-per-key', '200'];

export interface FlagGroup {
  flag: string;
  values: string[];
  /** Where the flag stands in the list it came from. */
  index: number;
}

/** A flag list as groups: a `--flag` (or `--flag=value`) and the values after it. A value before any flag is refused. */
export function flagGroups(args: readonly string[]): { groups: FlagGroup[]; problem: { index: number; message: string } | null } {
  const groups: FlagGroup[] = [];
  for (const [index, arg] of args.entries()) {
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      groups.push(eq > 0 ? { flag: arg.slice(0, eq), values: [arg.slice(eq + 1)], index } : { flag: arg, values: [], index });
    } else if (groups.length === 0) {
      return { groups, problem: { index, message: `${arg}: a value before any flag` } };
    } else {
      groups.at(-1)!.values.push(arg);
    }
  }
  return { groups, problem: null };
}

/** Why a catalog entry's `real` flags cannot be used, with the index of the offending argument; null when they can. */
export function realFlagsProblem(args: readonly string[]): { index: number; message: string } | null {
  const { groups, problem } = flagGroups(args);
  if (problem) return problem;
  for (const g of groups) {
    const index = g.index;
    if (REAL_RUNNER_FLAGS.includes(g.flag)) return { index, message: `${g.flag} is set by the runner, not by a mutant` };
    if (!REAL_FLAGS.includes(g.flag)) return { index, message: `${g.flag} is not a parley run flag a mutant may set (one of ${REAL_FLAGS.join(', ')}); sim-only flags belong in sim` };
    if (g.values.length !== 1) return { index, message: `${g.flag} takes exactly one value, got ${g.values.length}` };
    if (g.flag === '--set' && !/^[^=]+=/.test(g.values[0]!)) return { index, message: `--set ${g.values[0]}: expected key=value` };
  }
  return null;
}

/** The identity of a group for overriding: the flag, or for `--set` the flag and its key. */
function groupKey(g: FlagGroup): string {
  return g.flag === '--set' ? `--set ${g.values[0]?.split('=')[0] ?? ''}` : g.flag;
}

/** The real flags of a mutant (defaults, what carries over from `sim`, then `real`), without the runner's. */
export function realFlags(m: { sim: readonly string[]; real?: readonly string[] | undefined }, defaults: readonly string[] = REAL_DEFAULTS): string[] {
  const merged = new Map<string, FlagGroup>();
  const add = (groups: FlagGroup[]) => {
    for (const g of groups) {
      const key = groupKey(g);
      merged.delete(key); // a later flag takes the place (and the position) of an earlier one
      merged.set(key, g);
    }
  };
  add(flagGroups(defaults).groups);
  add(flagGroups(m.sim).groups.filter((g) => CARRIED_FROM_SIM.includes(g.flag) && g.values.length === 1));
  add(flagGroups(m.real ?? []).groups);
  return [...merged.values()].flatMap((g) => [g.flag, ...g.values]);
}

/** The measured load of each real run: the last `--duration` among the flags, as written, or null. */
export function realDurationFlag(flags: readonly string[]): string | null {
  const g = flagGroups(flags).groups.filter((x) => x.flag === '--duration').at(-1);
  return g?.values[0] ?? null;
}

export interface RealRunArgs {
  algorithm: string;
  flags: readonly string[];
  seed: number;
  out: string;
}

/** `parley run` argv (after `bin/parley.js`) for one seed of one configuration. */
export function realRunArgs(o: RealRunArgs): string[] {
  return ['run', '--algo', o.algorithm, ...o.flags, '--seed', String(o.seed), '--out', o.out, '--quiet'];
}
