/**
 * Knob exploration, after FoundationDB's randomized knobs: each seed runs the algorithm
 * with some of its options drawn from values it supports (a batch of one, a window of one,
 * a short heartbeat, PreVote off, reads through the log, a tiny transport buffer ...),
 * because a bug often hides in a configuration the defaults never reach. Every value here
 * is a supported configuration, so a failure under it is a real bug, not a false alarm.
 * Options given with --set are never changed; the drawn ones are written into the case, so
 * a replay runs the same configuration, and the shrinker tries each back at its default.
 */
import { Random } from '../../nodes/common/random.js';
import type { AlgoName } from '../../nodes/registry.js';

type Knob = readonly (string | number | boolean)[];

/** Option -> values to draw from (the default is always among the outcomes: half the time a knob is left alone). */
const RUNTIME: Record<string, Knob> = {
  tickMs: [5, 20],
  maxBufferedBytes: [16_384, 262_144],
  requestTimeoutMs: [300, 3000],
};

const BY_ALGO: Record<AlgoName, Record<string, Knob>> = {
  raft: {
    maxBatchEntries: [1, 4],
    maxInflight: [1, 4],
    readMode: ['log'],
    preVote: [false],
    checkQuorum: [false],
  },
  paxos: {
    maxBatchOps: [1, 2],
    maxInflightSlots: [1, 4],
    maxCatchupSlots: [1, 4],
    retransmitMs: [20, 1000],
    readMode: ['log'],
    stickyLeader: [false],
    probe: [false],
    checkQuorum: [false],
  },
  twopc: {
    layout: ['replicated'],
    termination: ['cooperative'],
    prepareTimeoutMs: [50, 2000],
    retryMs: [20, 500],
    inquireAfterMs: [0, 1000],
    lockWaitMs: [0, 1000],
  },
  gossip: {
    rumorFanout: [1, 4],
    rumorStop: ['feedback', 'coin'],
    rumorK: [1, 5],
    antiEntropyIntervalMs: [200, 3000],
    replicaPersistMs: [0, 5000],
    maxBatch: [1, 8],
  },
};

/** Election timing as one knob (the three must stay consistent): heartbeat, min, max. */
const TIMING: readonly [number, number, number][] = [
  [20, 60, 120],
  [100, 400, 800],
];

export function drawKnobs(algo: AlgoName, seed: number, fixed: Record<string, unknown>): Record<string, string | number | boolean> {
  const rnd = Random.derive(seed, 'sim:knobs');
  const out: Record<string, string | number | boolean> = {};
  for (const [name, values] of Object.entries({ ...RUNTIME, ...BY_ALGO[algo] })) {
    if (name in fixed || !rnd.chance(0.5)) continue;
    out[name] = rnd.pick(values);
  }
  if ((algo === 'raft' || algo === 'paxos') && !('heartbeatMs' in fixed) && !('electionTimeoutMinMs' in fixed) && !('electionTimeoutMaxMs' in fixed) && rnd.chance(0.3)) {
    const [heartbeatMs, electionTimeoutMinMs, electionTimeoutMaxMs] = rnd.pick(TIMING);
    Object.assign(out, { heartbeatMs, electionTimeoutMinMs, electionTimeoutMaxMs });
  }
  return out;
}
