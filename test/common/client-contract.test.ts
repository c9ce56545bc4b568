/**
 * Every consensus core that claims the client contract (docs/nodes.md) runs the one suite
 * of test/helpers/client-contract.ts: Raft, Multi-Paxos with a stable leader, and leaderless
 * Multi-Paxos (the state machine only: it has no leader to forward to or to depose).
 */
import { expect } from 'vitest';
import { Sim } from '../../harness/sim/sim.js';
import { RaftCore, type RaftMessage } from '../../nodes/raft/core.js';
import { raftOptionsSchema, type RaftOptions } from '../../nodes/raft/options.js';
import { createPaxosCore } from '../../nodes/paxos/index.js';
import type { PaxosCore } from '../../nodes/paxos/core.js';
import type { PaxosMessage } from '../../nodes/paxos/messages.js';
import { paxosOptionsSchema, type PaxosOptions } from '../../nodes/paxos/options.js';
import { clientContractSuite } from '../helpers/client-contract.js';

const ids = ['n1', 'n2', 'n3'];
const timeout = (timeouts: Record<string, number>, id: string) => {
  const t = timeouts[id] ?? 5000;
  return { electionTimeoutMinMs: t, electionTimeoutMaxMs: t + 1 };
};

type RaftSim = Sim<RaftMessage, RaftOptions>;
const raft = (sim: RaftSim, id: string) => sim.core<RaftCore>(id);
clientContractSuite<RaftMessage, RaftOptions>({
  name: 'Raft',
  cluster: (timeouts, opts = {}) =>
    new Sim({ create: (ctx) => new RaftCore(ctx) }, ids, (id) => raftOptionsSchema.parse({ ...timeout(timeouts, id), ...opts })),
  leader: {
    isLeader: (sim, id) => raft(sim, id).role === 'leader',
    elect: (sim, id) => {
      sim.runUntil(() => raft(sim, id).role === 'leader', 2000);
      expect(sim.ids.filter((x) => sim.isUp(x) && raft(sim, x).role === 'leader')).toEqual([id]);
      sim.runUntil(() => sim.ids.every((x) => !sim.isUp(x) || raft(sim, x).commitIndex >= raft(sim, id).commitIndex), 500);
    },
    confirmation: (m) => m.msg.t === 'append',
  },
});

type PaxosSim = Sim<PaxosMessage, PaxosOptions>;
const px = (sim: PaxosSim, id: string) => sim.core<PaxosCore>(id);
clientContractSuite<PaxosMessage, PaxosOptions>({
  name: 'Multi-Paxos, stable leader',
  // Without checkQuorum a leader cut off goes on leading; without stickiness the majority
  // does not wait out the old leader's lease before electing another.
  cluster: (timeouts, opts = {}) =>
    new Sim({ create: createPaxosCore }, ids, (id) =>
      paxosOptionsSchema.parse({ ...timeout(timeouts, id), ...(opts.checkQuorum === false && { checkQuorum: false, stickyLeader: false }) }),
    ),
  leader: {
    isLeader: (sim, id) => px(sim, id).role === 'leader',
    elect: (sim, id) => {
      sim.runUntil(() => px(sim, id).role === 'leader', 2000);
      expect(sim.ids.filter((x) => sim.isUp(x) && px(sim, x).role === 'leader')).toEqual([id]);
      sim.runUntil(() => sim.ids.every((x) => !sim.isUp(x) || px(sim, x).leader === id), 500);
    },
    confirmation: (m) => m.msg.t === 'accept',
  },
});

clientContractSuite<PaxosMessage, PaxosOptions>({
  name: 'Multi-Paxos, leaderless',
  cluster: () => new Sim({ create: createPaxosCore }, ids, paxosOptionsSchema.parse({ mode: 'leaderless' })),
  settle: (sim, reqIds) => {
    expect(sim.runUntil(() => reqIds.every((r) => sim.replyTo(r) !== undefined), 5000)).toBe(true);
  },
});
