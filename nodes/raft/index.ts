import type { Algorithm } from '../common/runtime.js';
import { RaftCore, type RaftMessage } from './core.js';
import { raftOptionsSchema } from './options.js';

export const raft: Algorithm<RaftMessage, typeof raftOptionsSchema> = {
  name: 'raft',
  optionsSchema: raftOptionsSchema,
  create: (ctx) => new RaftCore(ctx),
};
