/** JUnit XML: one testcase per verdict, mapped as docs/report.md says, well-formed whatever the names. */
import { describe, expect, it } from 'vitest';
import { escapeXml, junitXml } from '../../reports/junit.js';
import { benchRun } from './fixtures/results.js';
import { xmlProblems } from './xml.js';

const count = (xml: string, re: RegExp) => (xml.match(re) ?? []).length;

describe('junitXml', () => {
  const run = benchRun();
  const xml = junitXml(run);
  const verdicts = run.scenarios.reduce((n, s) => n + s.checks.length, 0);

  it('is well-formed XML', () => {
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites')).toBe(true);
    expect(xmlProblems(xml)).toEqual([]);
  });

  it('has one testsuite per scenario and one testcase per checker verdict', () => {
    expect(count(xml, /<testsuite /g)).toBe(run.scenarios.length);
    expect(count(xml, /<testcase /g)).toBe(verdicts);
    expect(xml).toMatch(new RegExp(`<testsuites [^>]*tests="${verdicts}" failures="1" errors="1" skipped="0"`));
  });

  it('maps invalid to failure with the evidence, unknown to error, informational to a pass with a note', () => {
    const paxos = xml.slice(xml.indexOf('name="paxos-kv-partition"'), xml.indexOf('name="twopc-kv-partition"'));
    expect(paxos).toContain('<failure type="safety-violation" message="Not linearizable');
    expect(paxos).toContain('stuck      process 3');
    const twopc = xml.slice(xml.indexOf('name="twopc-kv-partition"'), xml.indexOf('name="gossip-kv-partition"'));
    expect(twopc).toContain('<error type="undecided"');
    expect(twopc).not.toContain('<skipped');
    const gossip = xml.slice(xml.indexOf('name="gossip-kv-partition"'), xml.indexOf('name="raft-failover"'));
    expect(gossip).not.toContain('<failure');
    expect(gossip).toContain('<system-out>Informational: Gossip does not promise linearizability; in this run it was violated.');
  });

  it('escapes hostile names in attributes and text', () => {
    expect(xml).toContain('<testsuite name="&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(xml).not.toContain('<script>');
    expect(escapeXml('a\u0000b\u001bc & "d"')).toBe('a\uFFFDb\uFFFDc &amp; &quot;d&quot;');
  });

  it('adds an error testcase for a scenario that did not complete, so it cannot pass silently', () => {
    const failed = { ...run, scenarios: [{ ...run.scenarios[0]!, status: 'failed' as const, error: 'n2 died on its own: exit 1', checks: [] }] };
    const out = junitXml(failed);
    expect(count(out, /<testcase /g)).toBe(1);
    expect(out).toContain('name="run"');
    expect(out).toContain('<error type="run-failed" message="scenario failed: n2 died on its own: exit 1"');
    expect(xmlProblems(out)).toEqual([]);
  });
});
