/**
 * The lifeline of programs that are not parley (a user's node, etcd). A parley child exits
 * when the pipe on its standard input closes; a foreign program does not watch its stdin.
 * So each one runs as the leader of its own process group, and one small shell process per
 * harness holds the list of those groups on a pipe from the harness: when the pipe closes
 * (the harness exited or was killed with SIGKILL), it sends SIGCONT and SIGKILL to every
 * group still listed. SIGCONT first, because a paused (SIGSTOPped) group would otherwise
 * stay stopped forever: it is in a session of its own, so the kernel's rule for orphaned
 * stopped groups does not apply to it.
 *
 * The reaper is the only process that outlives the harness, and only until it has killed
 * the groups; it ignores the terminal's SIGINT so that Ctrl-C cannot remove it before the
 * harness has stopped its nodes.
 */
import { spawn, type ChildProcess } from 'node:child_process';

// POSIX sh: `+ PGID` guards a group, `- PGID` releases it; end of input reaps what is left.
const SCRIPT = `trap '' INT TERM HUP
groups=' '
while read -r op pg; do
  case "$op" in
    +) groups="$groups$pg " ;;
    -) case "$groups" in *" $pg "*) groups="\${groups%% $pg *} \${groups#* $pg }" ;; esac ;;
  esac
done
for pg in $groups; do kill -s CONT -- "-$pg" 2>/dev/null; kill -s KILL -- "-$pg" 2>/dev/null; done
`;

let reaper: ChildProcess | null = null;

function ensureReaper(): ChildProcess {
  if (reaper?.stdin && !reaper.stdin.destroyed) return reaper;
  const proc = spawn('/bin/sh', ['-c', SCRIPT], { stdio: ['pipe', 'ignore', 'ignore'] });
  // Neither the process nor its pipe may keep the harness's event loop alive.
  proc.unref();
  (proc.stdin as unknown as { unref?: () => void }).unref?.();
  proc.stdin!.on('error', () => undefined);
  proc.on('exit', () => {
    if (reaper === proc) reaper = null;
  });
  reaper = proc;
  return proc;
}

/** Kill process group `pgid` if the harness dies before releasing it. */
export function guardGroup(pgid: number): void {
  ensureReaper().stdin!.write(`+ ${pgid}\n`);
}

/** The group has ended: forget it (its id may be reused by an unrelated process later). */
export function releaseGroup(pgid: number): void {
  if (reaper?.stdin && !reaper.stdin.destroyed) reaper.stdin.write(`- ${pgid}\n`);
}

/** The reaper's pid, for tests that prove it does its job. */
export function reaperPid(): number | undefined {
  return reaper?.pid;
}
