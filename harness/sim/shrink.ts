/**
 * Shrinking a failing case: the same seed, a smaller case that still fails the same way.
 * Greedy and deterministic (every attempt is a full run of the simulator, which is cheap):
 *   1. faults: drop halves, then quarters, ... then single faults (delta debugging);
 *   2. the load: end it shortly after the last remaining fault, then halve it;
 *   3. fewer operations: halve the rate (or the clients of a closed loop);
 *   4. fewer nodes: 5 -> 3 when no fault names a node that would no longer exist;
 *   5. drawn knobs: each option the knob explorer chose, back at its default;
 *   6. shorter faults: halve each one's duration.
 * "Still fails the same way" means invalid on at least one checker that failed originally.
 * Bounded by attempts and wall time; the best case so far is kept at every step.
 */
import type { FaultSpec } from '../../contracts/scenario.js';
import { runCase, type CaseResult, type SimCase, type SimModules } from './run-case.js';

export interface ShrinkResult {
  case: SimCase;
  result: CaseResult;
  attempts: number;
  /** One line per accepted reduction, for the user. */
  steps: string[];
}

export interface ShrinkOptions {
  maxAttempts?: number;
  maxWallMs?: number;
  /** Checked between attempts (Ctrl-C). */
  aborted?: () => boolean;
  /** Options the knob explorer drew (not the user's): the shrinker may drop them. */
  drawnOptions?: Record<string, unknown>;
}

export function shrink(original: SimCase, failed: readonly string[], modules: SimModules, opts: ShrinkOptions = {}): ShrinkResult {
  const maxAttempts = opts.maxAttempts ?? 200;
  const deadline = Date.now() + (opts.maxWallMs ?? 60_000);
  let best = original;
  let bestResult: CaseResult | null = null;
  let attempts = 0;
  const steps: string[] = [];
  const budgetLeft = () => attempts < maxAttempts && Date.now() < deadline && !opts.aborted?.();

  const stillFails = (candidate: SimCase): boolean => {
    attempts++;
    let r: CaseResult;
    try {
      r = runCase(candidate, modules);
    } catch {
      return false;
    }
    if (r.verdict === 'invalid' && r.failed.some((f) => failed.includes(f))) {
      bestResult = r;
      return true;
    }
    return false;
  };
  const tryCase = (candidate: SimCase, what: string): boolean => {
    if (!budgetLeft()) return false;
    if (!stillFails(candidate)) return false;
    best = candidate;
    steps.push(what);
    return true;
  };
  const withFaults = (c: SimCase, faults: FaultSpec[]): SimCase => ({ ...c, scenario: { ...c.scenario, faults } });

  // 1. Faults, by delta debugging.
  let chunk = Math.ceil(best.scenario.faults.length / 2);
  while (chunk >= 1 && budgetLeft()) {
    let removedAny = false;
    for (let start = 0; start < best.scenario.faults.length && budgetLeft(); ) {
      const faults = best.scenario.faults;
      const kept = [...faults.slice(0, start), ...faults.slice(start + chunk)];
      if (kept.length < faults.length && tryCase(withFaults(best, kept), `dropped ${faults.length - kept.length} of ${faults.length} faults`)) removedAny = true;
      else start += chunk;
    }
    if (!removedAny || chunk > 1) chunk = chunk > 1 ? Math.ceil(chunk / 2) : 0;
  }

  // 2. A shorter load: just past the last fault, then halves.
  const lastFaultEnd = Math.max(0, ...best.scenario.faults.map((f) => f.at + f.duration));
  const justPast = Math.max(1000, lastFaultEnd + 1000);
  if (justPast < best.scenario.duration) tryCase({ ...best, scenario: { ...best.scenario, duration: justPast } }, `load cut to ${justPast} ms (just past the last fault)`);
  while (budgetLeft() && best.scenario.duration / 2 >= Math.max(500, lastFaultEnd)) {
    const duration = Math.round(best.scenario.duration / 2);
    if (!tryCase({ ...best, scenario: { ...best.scenario, duration } }, `load halved to ${duration} ms`)) break;
  }

  // 3. Fewer operations.
  while (budgetLeft()) {
    const s = best.scenario;
    if (s.rate !== undefined && s.rate >= 4) {
      if (!tryCase({ ...best, scenario: { ...s, rate: Math.round(s.rate / 2) } }, `rate halved to ${Math.round(s.rate / 2)} ops/s`)) break;
    } else if (s.rate === undefined && s.clients >= 2) {
      if (!tryCase({ ...best, scenario: { ...s, clients: Math.floor(s.clients / 2) } }, `clients halved to ${Math.floor(s.clients / 2)}`)) break;
    } else break;
  }

  // 4. Fewer nodes.
  for (const nodes of [3, 1]) {
    const s = best.scenario;
    if (nodes >= s.nodes || !budgetLeft()) continue;
    const exists = (t: FaultSpec['target']) => (Array.isArray(t) ? t : [t]).every((x) => !/^n\d+$/.test(x) || Number(x.slice(1)) <= nodes);
    if (!s.faults.every((f) => exists(f.target))) continue;
    if (tryCase({ ...best, scenario: { ...s, nodes } }, `${nodes} nodes instead of ${s.nodes}`)) break;
  }

  // 5. Drawn knobs back at their defaults (options the user set are part of the question, not the answer).
  for (const name of Object.keys(best.scenario.options)) {
    if (!budgetLeft() || !(name in (opts.drawnOptions ?? {}))) continue;
    const { [name]: _dropped, ...rest } = best.scenario.options;
    tryCase({ ...best, scenario: { ...best.scenario, options: rest } }, `option ${name} back at its default`);
  }

  // 6. Shorter faults.
  for (let i = 0; i < best.scenario.faults.length && budgetLeft(); i++) {
    const f = best.scenario.faults[i]!;
    if (f.duration < 100) continue;
    const faults = best.scenario.faults.map((x, j) => (j === i ? { ...x, duration: Math.round(x.duration / 2) } : x));
    if (tryCase(withFaults(best, faults), `fault #${i} (${f.kind}) held ${Math.round(f.duration / 2)} ms instead of ${f.duration}`)) i--;
  }

  return { case: best, result: bestResult ?? runCase(best, modules), attempts, steps };
}
