/**
 * The one process supervisor. Every child parley starts (nodes, the proxy server) is a
 * `Child`: spawned with execa, its stdout and stderr appended to a log file, its stdin a
 * lifeline pipe that the child watches (`--lifeline`), so when the harness dies for any
 * reason, SIGKILL included, the pipe closes and the child exits on its own.
 *
 * A child that exits when nobody asked it to is reported through `onUnexpectedExit` with
 * its exit code, signal and the last lines of its log: the run can fail loudly instead of
 * hanging on a dead process.
 *
 * A program that is not parley (`ChildSpec.program`: a user's node, etcd) gets no lifeline
 * pipe, since it would not watch it: it leads a process group of its own, every signal goes
 * to the whole group (a crash kills what the program started too), and the reaper
 * (harness/reaper.ts) kills the group if the harness dies first.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { PARLEY_BIN } from './paths.js';
import { guardGroup, releaseGroup } from './reaper.js';

export interface ChildExit {
  name: string;
  exitCode: number | undefined;
  signal: string | undefined;
  logTail: string[];
}

export interface ChildSpec {
  name: string;
  /** Arguments after `parley`, e.g. ['node', '--algo', 'raft', ...]. Unused with `program`. */
  args: string[];
  logFile: string;
  /** Added to the harness's environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  /** Run this program instead of parley, as the leader of its own process group. */
  program?: { file: string; args: string[]; cwd?: string };
}

const live = new Set<Child>();
let exitHookInstalled = false;

/** Last resort: if the harness exits with children alive, SIGKILL them (synchronously). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) child.killNow();
  });
}

export function tailOfFile(file: string, lines = 20): string[] {
  try {
    const size = fs.statSync(file).size;
    const fd = fs.openSync(file, 'r');
    const length = Math.min(size, 16 * 1024);
    const buf = Buffer.alloc(length);
    fs.readSync(fd, buf, 0, length, size - length);
    fs.closeSync(fd);
    return buf.toString('utf8').split('\n').filter(Boolean).slice(-lines);
  } catch {
    return [];
  }
}

export class Child {
  private proc: ResultPromise | null = null;
  private expectingExit = false;
  private exited: Promise<void> = Promise.resolve();
  paused = false;
  onUnexpectedExit: ((exit: ChildExit) => void) | null = null;

  constructor(readonly spec: ChildSpec) {
    installExitHook();
    fs.mkdirSync(path.dirname(spec.logFile), { recursive: true });
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get running(): boolean {
    return this.proc !== null;
  }

  /** Start (or restart) the process. Resolves once it is spawned, not once it is ready. */
  start(): void {
    if (this.proc) throw new Error(`${this.spec.name} is already running`);
    this.expectingExit = false;
    this.paused = false;
    const program = this.spec.program;
    const output = { stdout: { file: this.spec.logFile, append: true }, stderr: { file: this.spec.logFile, append: true } } as const;
    const proc = program
      ? execa(program.file, program.args, { ...output, cwd: program.cwd, stdin: 'ignore', env: this.spec.env, detached: true, reject: false, cleanup: false })
      : execa(process.execPath, [PARLEY_BIN, ...this.spec.args, '--lifeline'], { ...output, stdin: 'pipe', env: this.spec.env, reject: false, cleanup: true });
    this.proc = proc;
    live.add(this);
    const group = program ? proc.pid : undefined;
    if (group) guardGroup(group);
    this.exited = proc.then((result) => {
      live.delete(this);
      if (this.proc === proc) this.proc = null;
      if (group) {
        // The leader is gone; whatever it started in its group goes with it.
        try {
          process.kill(-group, 'SIGKILL');
        } catch {
          /* the group is empty */
        }
        releaseGroup(group);
      }
      if (program && result.failed && result.exitCode === undefined && result.signal === undefined) {
        // It never ran (not found, not executable): say so where the log tail is read.
        fs.appendFileSync(this.spec.logFile, `parley: could not start ${program.file}: ${result.shortMessage}\n`);
      }
      if (!this.expectingExit && this.onUnexpectedExit) {
        this.onUnexpectedExit({
          name: this.spec.name,
          exitCode: result.exitCode,
          signal: result.signal,
          logTail: tailOfFile(this.spec.logFile),
        });
      }
    });
  }

  /** Wait for the process to end (after a kill or stop). */
  async waitExit(): Promise<void> {
    await this.exited;
  }

  signal(sig: NodeJS.Signals): void {
    if (!this.proc?.pid) return;
    try {
      process.kill(this.spec.program ? -this.proc.pid : this.proc.pid, sig);
    } catch (err) {
      // Exited but not yet reaped by execa (slow under load, e.g. 50 nodes stopping at once):
      // the stop timer's SIGKILL must not throw out of a timer and kill the harness.
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }

  /** Whether an exit from now on is expected (a node told to die at a failpoint), or no longer. */
  expectExit(expected = true): void {
    if (this.proc) this.expectingExit = expected;
  }

  /** kill -9: the process gets no chance to clean up, exactly like a crash. */
  async kill(): Promise<void> {
    if (!this.proc) return;
    this.expectingExit = true;
    this.signal('SIGKILL');
    await this.exited;
    this.paused = false;
  }

  pause(): void {
    if (!this.proc || this.paused) return;
    this.signal('SIGSTOP');
    this.paused = true;
  }

  resume(): void {
    if (!this.proc || !this.paused) return;
    this.signal('SIGCONT');
    this.paused = false;
  }

  /** Graceful stop: SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 3000): Promise<void> {
    if (!this.proc) return;
    this.expectingExit = true;
    this.resume();
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Synchronous SIGKILL for the exit hook. */
  killNow(): void {
    this.expectingExit = true;
    try {
      if (this.proc?.pid) {
        const target = this.spec.program ? -this.proc.pid : this.proc.pid;
        process.kill(target, 'SIGCONT');
        process.kill(target, 'SIGKILL');
      }
    } catch {
      /* already gone */
    }
  }

  /**
   * CPU seconds and peak RSS from /proc (Linux); null when unavailable. A foreign program's
   * figures are its whole process group's (a wrapper script and the node it started).
   */
  resourceUsage(): { cpuSeconds: number; peakRssBytes: number; rssBytes: number } | null {
    const pid = this.proc?.pid;
    if (!pid) return null;
    const own = usageOf(pid);
    if (!own || !this.spec.program) return own;
    let total = own;
    for (const member of groupMembers(pid)) {
      const u = member === pid ? null : usageOf(member);
      if (u) total = { cpuSeconds: total.cpuSeconds + u.cpuSeconds, peakRssBytes: total.peakRssBytes + u.peakRssBytes, rssBytes: total.rssBytes + u.rssBytes };
    }
    return total;
  }
}

function statFields(pid: number): string[] {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

function usageOf(pid: number): { cpuSeconds: number; peakRssBytes: number; rssBytes: number } | null {
  try {
    const fields = statFields(pid);
    const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14, 15)
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { cpuSeconds: ticks / 100, peakRssBytes: kb('VmHWM'), rssBytes: kb('VmRSS') };
  } catch {
    return null;
  }
}

/** Processes whose process group is `pgid` (field 5 of /proc/PID/stat). */
function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (Number(statFields(Number(entry))[2]) === pgid) out.push(Number(entry));
    } catch {
      /* exited while we looked */
    }
  }
  return out;
}
