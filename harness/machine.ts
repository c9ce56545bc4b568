/** What machine and revision a figure was measured on: printed by every benchmark, stored in every results.json. */
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { PACKAGE_ROOT, PACKAGE_VERSION } from './paths.js';
import type { MachineInfo } from '../contracts/results.js';

export function gitRevision(): string | null {
  try {
    const rev = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: PACKAGE_ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: PACKAGE_ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    return dirty ? `${rev}-dirty` : rev;
  } catch {
    return null;
  }
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    parleyVersion: PACKAGE_VERSION,
    gitRevision: gitRevision(),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpus: cpus.length,
    totalMemoryBytes: os.totalmem(),
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

export function describeMachine(m: MachineInfo = machineInfo()): string {
  return `${m.cpuModel}, ${m.cpus} cores, ${(m.totalMemoryBytes / 2 ** 30).toFixed(0)} GiB, Node ${m.node}, ${m.platform}, load ${m.loadAverage.join(' ')}, parley ${m.parleyVersion} (${m.gitRevision ?? 'no git'})`;
}
