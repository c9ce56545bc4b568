/**
 * A sweep of seeds over worker threads. Each worker runs one seed at a time and asks for
 * the next; the sweep stops when the seed count or the time budget is spent, when a seed
 * fails (unless keepGoing: then the seeds below it still finish, so the lowest failing
 * seed is the one reported whatever the scheduling), or on abort (Ctrl-C), which
 * terminates the workers at once.
 */
import { Worker } from 'node:worker_threads';
import type { CaseTemplate } from './case-template.js';
import type { FromWorker, SeedReport, ToWorker } from './worker.js';

export interface SweepOptions {
  first: number;
  count: number | null;
  timeMs: number | null;
  workers: number;
  keepGoing: boolean;
  signal: AbortSignal;
  onProgress?(line: string): void;
}

export interface SweepOutcome {
  reports: SeedReport[];
  stoppedBy: 'count' | 'time' | 'found' | 'interrupted';
  errors: { seed: number; message: string }[];
}

export function sweep(template: CaseTemplate, opts: SweepOptions): Promise<SweepOutcome> {
  return new Promise((resolve) => {
    const reports: SeedReport[] = [];
    const errors: SweepOutcome['errors'] = [];
    const started = Date.now();
    const last = opts.count === null ? Infinity : opts.first + opts.count - 1;
    let next = opts.first;
    /** Lowest failing seed so far: no seed above it is started once one is found. */
    let lowestFailing = Infinity;
    let stoppedBy: SweepOutcome['stoppedBy'] | null = null;
    let finished = false;
    const inFlight = new Map<Worker, number>();
    const workers: Worker[] = [];
    let lastProgress = Date.now();

    const progress = () => {
      if (!opts.onProgress || Date.now() - lastProgress < 2000) return;
      lastProgress = Date.now();
      const bad = reports.filter((r) => r.verdict !== 'valid').length;
      opts.onProgress(`  ${reports.length} seeds, ${bad} not valid, ${Math.round((Date.now() - started) / 1000)} s`);
    };

    const finish = (why: SweepOutcome['stoppedBy']) => {
      if (finished) return;
      finished = true;
      stoppedBy ??= why;
      opts.signal.removeEventListener('abort', onAbort);
      for (const w of workers) void w.terminate();
      resolve({ reports, stoppedBy, errors });
    };
    const onAbort = () => finish('interrupted');
    opts.signal.addEventListener('abort', onAbort);

    const mayStart = (seed: number) => {
      if (seed > last || seed >= lowestFailing) return false;
      if (opts.timeMs !== null && Date.now() - started >= opts.timeMs) {
        stoppedBy ??= 'time';
        return false;
      }
      return true;
    };

    const feed = (w: Worker) => {
      if (finished) return;
      if (mayStart(next)) {
        inFlight.set(w, next);
        w.postMessage({ type: 'run', seed: next++ } satisfies ToWorker);
        return;
      }
      inFlight.delete(w);
      if (inFlight.size === 0) finish(lowestFailing < Infinity ? 'found' : next > last ? 'count' : 'time');
    };

    const count = Math.max(1, Math.min(opts.workers, opts.count ?? Infinity));
    for (let i = 0; i < count; i++) {
      const w = new Worker(new URL('./worker.js', import.meta.url));
      workers.push(w);
      w.on('message', (msg: FromWorker) => {
        if (finished) return;
        if (msg.type === 'ready') return feed(w);
        if (msg.type === 'error') errors.push({ seed: msg.seed, message: msg.message });
        else {
          reports.push(msg.report);
          if (msg.report.verdict === 'invalid' && !opts.keepGoing) lowestFailing = Math.min(lowestFailing, msg.report.seed);
        }
        progress();
        feed(w);
      });
      w.on('error', (err) => {
        const seed = inFlight.get(w) ?? -1;
        errors.push({ seed, message: err.stack ?? err.message });
        inFlight.delete(w);
        if (inFlight.size === 0) finish('interrupted');
      });
      w.postMessage({ type: 'init', template } satisfies ToWorker);
    }
  });
}
