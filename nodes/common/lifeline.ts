/**
 * How a parley child process (a node, the proxy server) ends: on SIGTERM or SIGINT, or,
 * with a lifeline, when its standard input closes. The harness holds the other end of that
 * pipe, so a harness that dies any way at all, SIGKILL included, takes its children with it.
 */
export function untilStopped(lifeline: boolean, stop: () => Promise<void>, log: (line: string) => void): Promise<number> {
  return new Promise<number>((resolve) => {
    let stopping = false;
    const end = (why: string) => {
      if (stopping) return;
      stopping = true;
      log(`stopping: ${why}`);
      // The lifeline pipe would keep the event loop (and the process) alive.
      process.stdin.destroy();
      stop().then(
        () => resolve(0),
        (err: unknown) => {
          log(`stop failed: ${err instanceof Error ? err.message : String(err)}`);
          resolve(70);
        },
      );
    };
    process.on('SIGTERM', () => end('SIGTERM'));
    process.on('SIGINT', () => end('SIGINT'));
    if (lifeline) {
      process.stdin.on('end', () => end('lifeline closed (the harness is gone)'));
      process.stdin.on('close', () => end('lifeline closed (the harness is gone)'));
      process.stdin.on('error', () => end('lifeline error'));
      process.stdin.resume();
    }
  });
}
