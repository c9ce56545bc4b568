/** `parley node-check`: a user's node probed against the contract; what is missing is named. */
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT, PARLEY_BIN } from '../../harness/paths.js';

const FIXTURE = `${process.execPath} ${path.join(PACKAGE_ROOT, 'test', 'fixtures', 'contract-node.mjs')} --id {id} --api {api} --data {data}`;
const check = (template: string, ...args: string[]) =>
  execa(process.execPath, [PARLEY_BIN, 'node-check', '--node-command', template, '--nodes', '1', ...args], { reject: false, timeout: 60_000 });

describe('parley node-check', () => {
  it('passes a node that follows the contract (exit 0), noting what it does not offer', async () => {
    const r = await check(FIXTURE);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/✓ start-up: every node answered GET \/status/);
    expect(r.stdout).toMatch(/✓ POST \/kv\/:key\/cas with another value: 409/);
    expect(r.stdout).toMatch(/✓ malformed requests get a 4xx/);
    expect(r.stdout).toMatch(/✓ restart: n1 killed with -9 served again .* with the write it had acknowledged/);
    expect(r.stdout).toMatch(/· POST \/txn answers 501: no transactions/);
    expect(r.stdout).toMatch(/ready for parley run: \d+ passed, 0 failed/);
  });

  it('reports a missing endpoint and exits 1', async () => {
    const r = await check(`${FIXTURE} --without cas --without txn`);
    expect(r.exitCode, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/✗ POST \/kv\/:key\/cas is missing \(404\): the kv workload sends compare-and-set/);
    expect(r.stdout).toMatch(/! POST \/txn: 404; a node without transactions should answer 501/);
    expect(r.stdout).toMatch(/not ready: \d+ passed, 1 failed, 1 warnings/);
  });

  it('says when the nodes never serve, with the log tail', async () => {
    const r = await check(`${process.execPath} -e "console.error('no API here'); process.exit(3)"`, '--timeout', '5s');
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/✗ start-up: node n1 exited during start-up[\s\S]*no API here/);
  });

  it.each([
    ['an unknown placeholder', ['--node-command', 'node x.js {nope}'], /--node-command: unknown placeholder \{nope\}/],
    ['a program that is not there', ['--node-command', './no/such/node --api {api}'], /--node-command: cannot run \.\/no\/such\/node: .* does not exist or is not executable/],
    ['a bad node count', ['--node-command', 'node x', '--nodes', 'many'], /--nodes many: expected a whole number from 1 to 9/],
  ])('refuses %s with exit 64 and one line', async (_what, args, message) => {
    const r = await execa(process.execPath, [PARLEY_BIN, 'node-check', ...args], { reject: false, timeout: 20_000 });
    expect(r.exitCode).toBe(64);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
});
