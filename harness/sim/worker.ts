/**
 * A worker thread of `parley sim`: loads the algorithm and workload once, then runs the
 * seeds it is handed, one at a time, and reports each case's verdict and cost.
 */
import { parentPort } from 'node:worker_threads';
import { loadAlgorithm } from '../../nodes/registry.js';
import { workloadByName } from '../../workloads/registry.js';
import { runCase, type SimModules } from './run-case.js';
import { caseFor, simAlgorithm, type CaseTemplate } from './case-template.js';

export type ToWorker = { type: 'init'; template: CaseTemplate } | { type: 'run'; seed: number } | { type: 'exit' };

export interface SeedReport {
  seed: number;
  verdict: 'valid' | 'invalid' | 'unknown';
  failed: string[];
  /** First line of each failed or undecided verdict. */
  summaries: string[];
  simMs: number;
  events: number;
  ops: number;
  faults: number;
  wallMs: number;
}

export type FromWorker = { type: 'ready' } | { type: 'done'; report: SeedReport } | { type: 'error'; seed: number; message: string };

let template: CaseTemplate | null = null;
let modules: SimModules | null = null;

parentPort?.on('message', (msg: ToWorker) => {
  void handle(msg);
});

async function handle(msg: ToWorker): Promise<void> {
  const port = parentPort!;
  switch (msg.type) {
    case 'init': {
      template = msg.template;
      const s = template.base.scenario;
      modules = { algorithm: await loadAlgorithm(simAlgorithm(s)), workload: await workloadByName(s.workload.type) };
      port.postMessage({ type: 'ready' } satisfies FromWorker);
      return;
    }
    case 'run': {
      try {
        port.postMessage({ type: 'done', report: runSeed(msg.seed) } satisfies FromWorker);
      } catch (err) {
        port.postMessage({ type: 'error', seed: msg.seed, message: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies FromWorker);
      }
      return;
    }
    case 'exit':
      process.exit(0);
  }
}

export function runSeed(seed: number, t: CaseTemplate = template!, m: SimModules = modules!): SeedReport {
  const started = performance.now();
  const r = runCase(caseFor(t, seed), m);
  return {
    seed,
    verdict: r.verdict,
    failed: r.failed,
    summaries: r.checks.filter((v) => v.valid !== true && !r.informational.includes(v.checker)).map((v) => `${v.checker}: ${v.summary.split('\n')[0]}`),
    simMs: r.simMs,
    events: r.events,
    ops: r.ops,
    faults: r.faults.filter((f) => f.status === 'done').length,
    wallMs: Math.round(performance.now() - started),
  };
}
