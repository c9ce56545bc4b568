/**
 * Checker benchmark (not a test): how long the linearizability checker takes on histories
 * the size parley records, so a run's check never dominates its report. Histories come from
 * the simulated correct register (workloads/checkers/simulated-register.ts) with timeouts,
 * so they hold info operations, the case that makes Wing & Gong search expensive. Then the
 * list-append checker on 10,000 transactions of a simulated store, correct and with stale
 * reads (workloads/checkers/list-append/simulate.ts): the broken one has cycles to search.
 *
 * Targets (GitHub issue 4): a 10,000-operation history over 10 keys and 20 clients, and a
 * 2,000-operation single-key history with 10 clients, each under 2 s; list-append, 10,000
 * transactions under 2 s. Prints the machine, the command, and per scenario the median and
 * worst check time over seeds and repeats, and (register models) the time to read the same
 * history from a file and check it (what `parley check` does).
 *
 *   npm run bench:check -- [--seeds 5] [--runs 3]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeMachine } from '../machine.js';
import { formatEvent, readHistory } from '../../workloads/history.js';
import { checkLinearizability } from '../../workloads/checkers/linearizability/index.js';
import { simulateRegisterHistory, type SimulationOptions } from '../../workloads/checkers/simulated-register.js';
import { checkListAppend } from '../../workloads/checkers/list-append/index.js';
import { simulateListAppendHistory, type ListAppendSimulation } from '../../workloads/checkers/list-append/simulate.js';
import { benchArgs } from './args.js';

const values = benchArgs('check', { seeds: { type: 'string', default: '5' }, runs: { type: 'string', default: '3' } });

interface Scenario {
  name: string;
  targetMs: number | null;
  sim: Omit<SimulationOptions, 'seed'>;
}

const scenarios: Scenario[] = [
  { name: '10,000 ops, 10 keys, 20 clients, register, 2% timeouts', targetMs: 2000, sim: { operations: 10_000, keys: 10, clients: 20, model: 'register', timeoutRate: 0.02 } },
  { name: '10,000 ops, 10 keys, 20 clients, cas-register, 2% timeouts', targetMs: 2000, sim: { operations: 10_000, keys: 10, clients: 20, model: 'cas-register', timeoutRate: 0.02 } },
  { name: '2,000 ops, 1 key, 10 clients, register, 2% timeouts', targetMs: 2000, sim: { operations: 2_000, keys: 1, clients: 10, model: 'register', timeoutRate: 0.02 } },
  { name: '2,000 ops, 1 key, 10 clients, cas-register, 2% timeouts', targetMs: 2000, sim: { operations: 2_000, keys: 1, clients: 10, model: 'cas-register', timeoutRate: 0.02 } },
  { name: 'stress: 10,000 ops, 10 keys, 20 clients, cas-register, 10% timeouts', targetMs: null, sim: { operations: 10_000, keys: 10, clients: 20, model: 'cas-register', timeoutRate: 0.1 } },
  { name: 'stress: 2,000 ops, 1 key, 10 clients, cas-register, 10% timeouts', targetMs: null, sim: { operations: 2_000, keys: 1, clients: 10, model: 'cas-register', timeoutRate: 0.1 } },
];

async function main(): Promise<void> {
  const seeds = Number(values.seeds);
  const runs = Number(values.runs);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-check-'));
  console.log('parley checker benchmark: linearizability of simulated correct registers with timeouts (info ops)');
  console.log(`machine: ${describeMachine()}`);
  console.log(`command: npm run bench:check -- --seeds ${seeds} --runs ${runs}`);
  let missed = 0;
  try {
    for (const s of scenarios) {
      const checkMs: number[] = [];
      const fileMs: number[] = [];
      let info = 0;
      let configurations = 0;
      for (let seed = 1; seed <= seeds; seed++) {
        const events = simulateRegisterHistory({ seed, ...s.sim });
        const file = path.join(dir, `${seed}.jsonl`);
        fs.writeFileSync(file, events.map(formatEvent).join('\n') + '\n');
        for (let run = 0; run < runs; run++) {
          const t0 = performance.now();
          const v = checkLinearizability(events, { model: s.sim.model, timeLimitMs: 60_000 });
          checkMs.push(performance.now() - t0);
          if (v.valid !== true) throw new Error(`${s.name}, seed ${seed}: expected valid, got ${String(v.valid)}: ${v.summary}`);
          info = v.stats.infoOperations!;
          configurations = v.stats.configurations!;
          const t1 = performance.now();
          const parsed = await readHistory(file);
          checkLinearizability(parsed.events, { model: s.sim.model, timeLimitMs: 60_000 });
          fileMs.push(performance.now() - t1);
        }
      }
      checkMs.sort((a, b) => a - b);
      fileMs.sort((a, b) => a - b);
      const median = (xs: number[]): number => xs[Math.floor((xs.length - 1) / 2)]!;
      const worst = checkMs[checkMs.length - 1]!;
      const verdict = s.targetMs === null ? '' : worst < s.targetMs ? `  [target < ${s.targetMs} ms: met]` : `  [target < ${s.targetMs} ms: MISSED]`;
      if (s.targetMs !== null && worst >= s.targetMs) missed++;
      console.log(
        `${s.name}: check median ${median(checkMs).toFixed(0)} ms, worst ${worst.toFixed(0)} ms; ` +
          `read file + check median ${median(fileMs).toFixed(0)} ms, worst ${fileMs[fileMs.length - 1]!.toFixed(0)} ms ` +
          `(${seeds} seeds x ${runs} runs; last seed: ${info} info ops, ${configurations} configurations)${verdict}`,
      );
    }
    missed += listAppend(seeds, runs);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (missed > 0) process.exitCode = 1;
}

const listAppendScenarios: { name: string; valid: boolean; sim: Omit<ListAppendSimulation, 'seed'> }[] = [
  { name: 'list-append: 10,000 txns, 10 keys, 20 clients, 5% timeouts, 5% aborts', valid: true, sim: { transactions: 10_000, clients: 20, keys: 10, timeoutRate: 0.05, abortRate: 0.05 } },
  { name: 'list-append: the same, 1% stale reads (cycles to find)', valid: false, sim: { transactions: 10_000, clients: 20, keys: 10, timeoutRate: 0.05, abortRate: 0.05, staleReadRate: 0.01 } },
  { name: 'list-append: the same, 20% stale reads', valid: false, sim: { transactions: 10_000, clients: 20, keys: 10, timeoutRate: 0.05, abortRate: 0.05, staleReadRate: 0.2 } },
];

/** Returns how many scenarios missed the 2 s target. */
function listAppend(seeds: number, runs: number): number {
  let missed = 0;
  for (const s of listAppendScenarios) {
    const times: number[] = [];
    let last = '';
    for (let seed = 1; seed <= seeds; seed++) {
      const events = simulateListAppendHistory({ seed, ...s.sim });
      for (let run = 0; run < runs; run++) {
        const t0 = performance.now();
        const v = checkListAppend(events);
        times.push(performance.now() - t0);
        if (v.valid !== s.valid) throw new Error(`${s.name}, seed ${seed}: expected ${String(s.valid)}, got ${String(v.valid)}: ${v.summary}`);
        last = `${v.stats.anomalies} anomalies, ${v.stats.cyclicComponents} cyclic components, ${v.stats.wwEdges + v.stats.wrEdges + v.stats.rwEdges} edges`;
      }
    }
    times.sort((a, b) => a - b);
    const worst = times[times.length - 1]!;
    if (worst >= 2000) missed++;
    console.log(`${s.name}: check median ${times[Math.floor((times.length - 1) / 2)]!.toFixed(0)} ms, worst ${worst.toFixed(0)} ms (${seeds} seeds x ${runs} runs; last: ${last})  [target < 2000 ms: ${worst < 2000 ? 'met' : 'MISSED'}]`);
  }
  return missed;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 70;
});
