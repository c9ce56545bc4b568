/**
 * Simulator benchmark (not a test): how fast `parley sim` explores, per algorithm.
 *
 *   1. One thread: N seeds of the default case (5 nodes, 10 simulated seconds, 100 ops/s,
 *      the chaos nemesis), each run and checked; wall and CPU time per seed, and simulated
 *      seconds per wall second. The [1/6] target: a 5-node Raft kv seed with ~1,000
 *      operations under 100 ms (>= 100x real time).
 *   2. A sweep over worker threads (`parley sim --seeds S`): seeds per minute, and the wall
 *      time of 1,000 seeds (the target: under 2 minutes on 2 cores).
 *
 *   npm run bench:sim -- [--seeds 20] [--sweep 1000] [--algo raft,paxos,twopc,gossip]
 */
import os from 'node:os';
import { describeMachine } from '../machine.js';
import { loadAlgorithm, type AlgoName } from '../../nodes/registry.js';
import { workloadByName } from '../../workloads/registry.js';
import { templateFromFlags } from '../sim/command.js';
import { caseFor } from '../sim/case-template.js';
import { runCase } from '../sim/run-case.js';
import { sweep } from '../sim/pool.js';
import { benchArgs } from './args.js';

const values = benchArgs('sim', { seeds: { type: 'string', default: '20' }, sweep: { type: 'string', default: '1000' }, algo: { type: 'string', default: 'raft,paxos,twopc,gossip' } });

const WORKLOAD: Record<AlgoName, string> = { raft: 'kv', paxos: 'kv', twopc: 'bank', gossip: 'dissemination' };

function pct(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const seeds = Number(values.seeds);
  const sweepSeeds = Number(values.sweep);
  const algos = values.algo.split(',') as AlgoName[];
  console.log('parley sim benchmark: default cases (5 nodes, 10 s simulated, 100 ops/s open loop, chaos nemesis), checked');
  console.log(`machine: ${describeMachine()}`);
  console.log(`command: npm run bench:sim -- --seeds ${seeds} --sweep ${sweepSeeds} --algo ${algos.join(',')}`);
  console.log('');
  console.log('one thread, per seed:');
  console.log('algo    workload       wall p50   wall p90   cpu p50   events   ops   sim s / wall s');
  for (const algo of algos) {
    const template = templateFromFlags({ algo, workload: WORKLOAD[algo], nodes: '5', set: [], quiet: true });
    const modules = { algorithm: await loadAlgorithm(algo), workload: await workloadByName(template.base.scenario.workload.type) };
    runCase(caseFor(template, 1_000_000), modules); // warm the JIT
    const wall: number[] = [];
    const cpu: number[] = [];
    let events = 0;
    let ops = 0;
    let simMs = 0;
    for (let seed = 1; seed <= seeds; seed++) {
      const u0 = process.cpuUsage();
      const t0 = performance.now();
      const r = runCase(caseFor(template, seed), modules);
      wall.push(performance.now() - t0);
      const u = process.cpuUsage(u0);
      cpu.push((u.user + u.system) / 1000);
      events += r.events;
      ops += r.ops;
      simMs += r.simMs;
    }
    wall.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b);
    const totalWall = wall.reduce((s, x) => s + x, 0);
    console.log(
      `${algo.padEnd(7)} ${WORKLOAD[algo].padEnd(14)} ${pct(wall, 50).toFixed(0).padStart(6)} ms ${pct(wall, 90).toFixed(0).padStart(7)} ms ${pct(cpu, 50).toFixed(0).padStart(6)} ms ${String(Math.round(events / seeds)).padStart(8)} ${String(Math.round(ops / seeds)).padStart(5)}   ${(simMs / totalWall).toFixed(0).padStart(6)}x`,
    );
  }
  console.log('');
  const workers = os.availableParallelism();
  console.log(`sweeps of ${sweepSeeds} seeds on ${workers} worker threads (parley sim --seeds ${sweepSeeds}):`);
  for (const algo of algos) {
    const template = templateFromFlags({ algo, workload: WORKLOAD[algo], nodes: '5', set: [], quiet: true });
    const controller = new AbortController();
    const t0 = Date.now();
    const o = await sweep(template, { first: 1, count: sweepSeeds, timeMs: null, workers, keepGoing: true, signal: controller.signal });
    const ms = Date.now() - t0;
    const bad = o.reports.filter((r) => r.verdict !== 'valid').map((r) => `${r.seed}:${r.verdict}`);
    console.log(`${algo.padEnd(7)} ${o.reports.length} seeds in ${(ms / 1000).toFixed(1)} s = ${Math.round((o.reports.length / ms) * 60_000)} seeds/min; not valid: ${bad.length ? bad.join(' ') : 'none'}${o.errors.length ? `; errors: ${o.errors.length}` : ''}`);
  }
  console.log(`load average after: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 70;
});
