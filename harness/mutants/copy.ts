/**
 * A mutated copy of the repository: the source tree copied to a temporary folder (without
 * node_modules, other output or git data; node_modules is a symlink to the original's),
 * one patch applied with `git apply`, then compiled with the project's own tsc. The
 * original tree is never touched, so a run of mutants can go on while someone edits it.
 *
 * The original's build comes along when tsc left its incremental state in it
 * (dist/tsconfig.tsbuildinfo, tsconfig.json's `incremental`): tsc then compares every
 * source file's hash with that state and compiles and re-checks only what differs (the
 * patched file, and whatever depends on a declaration the patch changed), about a quarter
 * of a full build's CPU. A file the original changed without rebuilding differs too, so
 * the copy is never built from stale output.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

/** Top-level entries a build never needs: dependencies, output, git and scratch data (dist: see BUILD_STATE). */
const NOT_COPIED = new Set(['node_modules', 'dist', 'out', '.git', '.parley', 'coverage', '.scratch']);

/** tsc's incremental state: with it, the original's dist is the copy's starting build. */
const BUILD_STATE = path.join('dist', 'tsconfig.tsbuildinfo');

export interface MutantCopy {
  dir: string;
  /** Remove the copy (the symlinked node_modules is left alone). */
  dispose(): void;
}

export interface StepResult {
  ok: boolean;
  ms: number;
  /** The tool's output when it failed (first lines). */
  output: string;
}

/** Copy `root` to a fresh temporary folder, with node_modules linked to the original's. */
export function copyRepository(root: string, label: string): MutantCopy {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `parley-mutant-${label}-`));
  for (const entry of fs.readdirSync(root)) {
    if (NOT_COPIED.has(entry)) continue;
    fs.cpSync(path.join(root, entry), path.join(dir, entry), { recursive: true, verbatimSymlinks: true });
  }
  if (fs.existsSync(path.join(root, BUILD_STATE))) fs.cpSync(path.join(root, 'dist'), path.join(dir, 'dist'), { recursive: true, verbatimSymlinks: true });
  const modules = path.join(root, 'node_modules');
  if (fs.existsSync(modules)) fs.symlinkSync(fs.realpathSync(modules), path.join(dir, 'node_modules'), 'dir');
  return { dir, dispose: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

function firstLines(text: string, n = 12): string {
  return text.split('\n').filter((l) => l.trim() !== '').slice(0, n).join('\n');
}

/**
 * `git apply` in `dir`, which is no git repository: the patch's a/ b/ paths are taken from
 * `dir`. GIT_CEILING_DIRECTORIES keeps git from finding a repository above it (a TMPDIR
 * inside a checkout would otherwise make the paths relative to that checkout).
 */
export async function applyPatch(dir: string, patchFile: string, opts: { check?: boolean; signal?: AbortSignal } = {}): Promise<StepResult> {
  const started = Date.now();
  const args = ['apply', '--whitespace=nowarn', ...(opts.check ? ['--check'] : []), path.resolve(patchFile)];
  const r = await execa('git', args, {
    cwd: dir,
    reject: false,
    all: true,
    env: { GIT_CEILING_DIRECTORIES: path.dirname(path.resolve(dir)) },
    ...(opts.signal && { cancelSignal: opts.signal }),
  });
  return { ok: r.exitCode === 0, ms: Date.now() - started, output: firstLines(r.all ?? '') };
}

/**
 * Compile the copy with the TypeScript of its node_modules (`tsc -p tsconfig.json`). Every
 * path is taken through the copy's node_modules link, not where it leads (node's
 * `--preserve-symlinks-main` for tsc's own library files, `--preserveSymlinks` for the
 * packages): the incremental state names files relative to dist, so resolved through the
 * link they would all look new and the whole tree would be compiled again.
 */
export async function buildCopy(dir: string, opts: { signal?: AbortSignal } = {}): Promise<StepResult> {
  const tsc = path.join(dir, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!fs.existsSync(tsc)) return { ok: false, ms: 0, output: `${tsc}: TypeScript is not installed (npm install with dev dependencies)` };
  const started = Date.now();
  const r = await execa(process.execPath, ['--preserve-symlinks-main', '--preserve-symlinks', tsc, '-p', 'tsconfig.json', '--preserveSymlinks'], { cwd: dir, reject: false, all: true, ...(opts.signal && { cancelSignal: opts.signal }) });
  return { ok: r.exitCode === 0, ms: Date.now() - started, output: firstLines(r.all ?? '') };
}
