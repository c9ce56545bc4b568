import { defineConfig } from 'vitest/config';

/**
 * Suites that start clusters, open sockets or hold timers against a real clock: they run one
 * file at a time, after the others, because on a 2-core machine two such suites side by side
 * would measure each other's noise.
 */
const PROCESS = [
  'test/e2e/**/*.test.ts',
  'test/**/process.test.ts',
  'test/conformance/**/*.test.ts',
  'test/fuzz/node-api.test.ts',
  'test/fuzz/proxy-api.test.ts',
  'test/api/**/*.test.ts',
  'test/cli/node-check.test.ts',
  'test/reports/browser.test.ts',
  'test/common/failpoints.test.ts',
  'test/common/transport.test.ts',
  'test/common/clock.test.ts',
  'test/gossip/transport-lazy.test.ts',
  'test/harness/node-command.test.ts',
  'test/harness/patience.test.ts',
  'test/harness/faults.test.ts',
  'test/sim/network.test.ts',
];

/**
 * Suites that run parley's commands as processes but wait on nothing but their exit (bad
 * flags, simulator sweeps, a mutant's copy built and hunted): two at a time, beside the
 * computation suites, before the process suites.
 */
const COMMANDS = [
  'test/cli/run-args.test.ts',
  'test/cli/node-args.test.ts',
  'test/cli/bench-args.test.ts',
  'test/fuzz/check-input.test.ts',
  'test/fuzz/scenario.test.ts',
  'test/mutants/**/*.test.ts',
  'test/sim/cli.test.ts',
  'test/sim/nightly.test.ts',
  'test/sim/replay.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: { name: 'compute', include: ['test/**/*.test.ts'], exclude: [...PROCESS, ...COMMANDS], maxWorkers: 2, sequence: { groupOrder: 0 } },
      },
      { extends: true, test: { name: 'commands', include: COMMANDS, maxWorkers: 2, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'process', include: PROCESS, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
