/**
 * Micro-benchmarks (tinybench): the pure cores and the codec, with no sockets or disks, so
 * the figures say what the algorithm itself costs per entry.
 *
 *   npm run bench:micro
 */
import { Bench } from 'tinybench';
import { FrameDecoder, encodeFrame } from '../../nodes/common/codec.js';
import type { Core, CoreContext } from '../../nodes/common/core.js';
import { Random } from '../../nodes/common/random.js';
import { RaftCore, type Entry, type RaftMessage } from '../../nodes/raft/core.js';
import { raftOptionsSchema, type RaftOptions } from '../../nodes/raft/options.js';
import { describeMachine } from '../machine.js';

const BATCH = 100;

function context(id: string, peers: string[], options: RaftOptions): CoreContext<RaftOptions> {
  return { id, peers, options, recovered: [], random: new Random(1), now: 0 };
}

/** A leader of a 3-node cluster: elected in term 1 by scripted messages. */
function leader(): RaftCore {
  const opts = raftOptionsSchema.parse({ preVote: false });
  const core = new RaftCore(context('n1', ['n2', 'n3'], opts));
  core.step({ type: 'tick', now: 1000 });
  core.step({ type: 'message', from: 'n2', msg: { t: 'voteResp', term: 1, granted: true } });
  core.ready();
  return core;
}

function drain<M>(core: Core<M>): number {
  const r = core.ready();
  return r.early.length + r.messages.length + r.persist.length + r.replies.length;
}

async function main(): Promise<void> {
  console.log('parley micro-benchmarks (tinybench)');
  console.log(`machine: ${describeMachine()}`);
  console.log('command: npm run bench:micro');

  const raftLeader = leader();
  let req = 0;
  const follower = new RaftCore(context('n2', ['n1', 'n3'], raftOptionsSchema.parse({})));
  let followerIndex = 0;
  const entries: Entry[] = Array.from({ length: BATCH }, (_, i) => [1, { f: 'write', key: `k${i}`, value: `value-${i}` }]);
  const appendFrame = encodeFrame(['m', ['c', { t: 'append', term: 1, prevIndex: 0, prevTerm: 0, entries, commit: 0, seq: 0 }]]);
  const smallFrame = encodeFrame(['m', ['c', { t: 'appendResp', term: 1, success: true, index: 12345, prevIndex: 12300, seq: 7 }]]);
  const decoder = new FrameDecoder();

  const bench = new Bench({ time: 1500, warmupTime: 300 });
  bench
    .add(`raft leader: ${BATCH} proposals + quorum ack + ready()`, () => {
      for (let i = 0; i < BATCH; i++) raftLeader.step({ type: 'client', reqId: `r${req++}`, op: { f: 'write', key: `k${i}`, value: i }, forwarded: false });
      drain(raftLeader);
      raftLeader.step({ type: 'message', from: 'n2', msg: { t: 'appendResp', term: 1, success: true, index: raftLeader.lastIndex, prevIndex: 0, seq: 0 } });
      drain(raftLeader);
    })
    .add(`raft follower: AppendEntries of ${BATCH} + ready()`, () => {
      const msg: RaftMessage = { t: 'append', term: 1, prevIndex: followerIndex, prevTerm: followerIndex === 0 ? 0 : 1, entries, commit: followerIndex, seq: 0 };
      follower.step({ type: 'message', from: 'n1', msg });
      followerIndex += BATCH;
      drain(follower);
    })
    .add(`codec: encode AppendEntries frame of ${BATCH} entries (${appendFrame.length} B)`, () => {
      encodeFrame(['m', ['c', { t: 'append', term: 1, prevIndex: 0, prevTerm: 0, entries, commit: 0, seq: 0 }]]);
    })
    .add(`codec: decode AppendEntries frame of ${BATCH} entries`, () => {
      decoder.push(appendFrame);
    })
    .add(`codec: encode + decode a small frame (${smallFrame.length} B)`, () => {
      decoder.push(encodeFrame(['m', ['c', { t: 'appendResp', term: 1, success: true, index: 12345, prevIndex: 12300, seq: 7 }]]));
    });
  await bench.run();

  const perEntry = new Set([0, 1]);
  for (const [i, task] of bench.tasks.entries()) {
    const hz = task.result?.throughput.mean ?? 0;
    const rme = task.result?.throughput.rme ?? 0;
    const what = perEntry.has(i) ? `${Math.round(hz * BATCH).toLocaleString('en-US')} entries/s` : `${Math.round(hz).toLocaleString('en-US')} frames/s`;
    const mb = i === 2 || i === 3 ? `, ${((hz * appendFrame.length) / 1e6).toFixed(0)} MB/s` : '';
    console.log(`${task.name.padEnd(70)} ${what}${mb} (±${rme.toFixed(1)}%)`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 70;
});
