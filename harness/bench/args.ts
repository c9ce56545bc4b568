/**
 * The bench scripts' flags, parsed one way and with the parser `parley` itself uses
 * (commander): each script declares its flags and gets their values under the same names.
 * `--help` lists them; an unknown flag, a missing value or a bad `--set` exits 64 with one
 * line naming it (`bench:<script>: ...`), before anything runs.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { UsageError } from '../../nodes/common/errors.js';

export type BenchFlag =
  /** A value, kept as written (each script reads numbers and lists from it). */
  | { type: 'string'; default?: string }
  | { type: 'boolean' }
  /** Repeatable `--set key=value`: node settings, later ones winning. */
  | { type: 'settings' };

type ValueOf<F extends BenchFlag> = F extends { type: 'boolean' }
  ? boolean
  : F extends { type: 'settings' }
    ? Record<string, string>
    : F extends { default: string }
      ? string
      : string | undefined;

export type BenchValues<T extends Record<string, BenchFlag>> = { [K in keyof T]: ValueOf<T[K]> };

function addSetting(text: string, settings: Record<string, string>): Record<string, string> {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('expected key=value');
  return { ...settings, [text.slice(0, eq)]: text.slice(eq + 1) };
}

/** Parse `argv` (the arguments after the script); throws UsageError on bad flags, CommanderError (exit code 0) after --help. */
export function parseBenchArgs<T extends Record<string, BenchFlag>>(script: string, flags: T, argv: readonly string[]): BenchValues<T> {
  const command = new Command(`bench:${script}`)
    .exitOverride()
    .configureOutput({ outputError: () => undefined });
  const attribute = new Map<string, string>();
  for (const [name, flag] of Object.entries(flags)) {
    let option: Option;
    if (flag.type === 'boolean') option = new Option(`--${name}`).default(false);
    else if (flag.type === 'settings') option = new Option(`--${name} <key=value>`, 'a node setting (repeatable)').argParser(addSetting).default({});
    else option = new Option(`--${name} <value>`).default(flag.default);
    command.addOption(option);
    attribute.set(name, option.attributeName());
  }
  try {
    command.parse([...argv], { from: 'user' });
  } catch (err) {
    // One line, so commander's "(Did you mean --seeds?)" joins the line it explains.
    if (err instanceof CommanderError && err.exitCode !== 0) throw new UsageError(err.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' '));
    throw err;
  }
  const opts = command.opts();
  return Object.fromEntries([...attribute].map(([name, key]) => [name, opts[key]])) as BenchValues<T>;
}

/** The script's flags from the command line; bad ones exit 64 with one line, --help exits 0. */
export function benchArgs<T extends Record<string, BenchFlag>>(script: string, flags: T): BenchValues<T> {
  try {
    return parseBenchArgs(script, flags, process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`bench:${script}: ${err.message}`);
      process.exit(64);
    }
    if (err instanceof CommanderError) process.exit(err.exitCode);
    throw err;
  }
}
