import type { Algorithm } from '../common/runtime.js';
import { TwoPcCore } from './core.js';
import { twoPcOptionsSchema } from './options.js';
import type { TwoPcMessage } from './protocol.js';

export const twopc: Algorithm<TwoPcMessage, typeof twoPcOptionsSchema> = {
  name: 'twopc',
  optionsSchema: twoPcOptionsSchema,
  create: (ctx) => new TwoPcCore(ctx),
};
