/**
 * Escaping: the one helper every page string goes through, the JSON embedded in the page,
 * and the rendered page itself with hostile strings from the fixture.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { createHash } from 'node:crypto';
import { escapeHtml, html, jsonForScript, trustedMarkup } from '../../reports/html.js';
import { embeddedData, reportDocument } from '../../reports/page/document.js';
import { PAGE_SCRIPT } from '../../reports/page/script.js';
import { benchRun, XSS_NAME, XSS_SUMMARY } from './fixtures/results.js';

describe('escapeHtml and the html template', () => {
  it('escapes the five characters that matter in text and quoted attributes', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  it('escapes every interpolated value, and only values', () => {
    const name = '<script>alert(1)</script>';
    expect(html`<td title="${name}">${name}</td>`.markup).toBe('<td title="&lt;script&gt;alert(1)&lt;/script&gt;">&lt;script&gt;alert(1)&lt;/script&gt;</td>');
  });

  it('nests SafeHtml and arrays without escaping twice, and drops null, undefined and false', () => {
    const inner = html`<b>${'a&b'}</b>`;
    expect(html`<p>${[inner, ' ', 'x<y']}${null}${undefined}${false}${0}</p>`.markup).toBe('<p><b>a&amp;b</b> x&lt;y0</p>');
  });

  it('a plain string can never pass as markup', () => {
    const fake = { markup: '<script>alert(1)</script>' } as unknown as string;
    expect(html`${fake}`.markup).not.toContain('<script>');
    expect(html`${trustedMarkup('<svg></svg>')}`.markup).toBe('<svg></svg>');
  });
});

describe('jsonForScript', () => {
  const hostile = { name: '</script><script>alert(1)</script>', comment: '<!-- x -->', amp: 'a&b', seps: 'a\u2028b\u2029c', nested: [{ '</SCRIPT>': '>' }] };

  it('leaves nothing that could end the script element or confuse a parser', () => {
    const text = jsonForScript(hostile).markup;
    expect(text).not.toMatch(/<\/script/i);
    expect(text).not.toContain('<!--');
    expect(text).not.toContain('\u2028');
    expect(text).not.toContain('\u2029');
    expect(text).not.toMatch(/[<>&]/);
  });

  it('still parses back to the same value', () => {
    expect(JSON.parse(jsonForScript(hostile).markup)).toEqual(hostile);
  });
});

describe('the rendered page', () => {
  let page = '';
  const run = benchRun();
  beforeAll(async () => {
    page = await reportDocument([run], { generatedAt: '2025-11-20T03:00:00.000Z' });
  });

  it('shows the hostile scenario name and verdict summary as escaped text, never as markup', () => {
    expect(page).not.toContain(XSS_NAME);
    expect(page).not.toContain('<img src=x');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain(escapeHtml(XSS_SUMMARY));
    // Exactly two script elements: the embedded results (JSON, not executed) and the page's own.
    expect(page.match(/<script\b/gi)).toHaveLength(2);
  });

  it('embeds the results it was drawn from, parseable back to the same value', () => {
    const m = /<script type="application\/json" id="parley-results">([^<]*)<\/script>/.exec(page);
    expect(m).not.toBeNull();
    expect(JSON.parse(m![1]!)).toEqual({ schema: 'parley.report-data/1', latest: run, runs: [], trends: [] });
  });

  it('for several runs, embeds the latest in full and the compared figures of every run', () => {
    const older = benchRun({ startedAt: '2025-11-19T02:00:00.000Z', scale: { raft: 2 } });
    const data = embeddedData([older, run]);
    expect(data.latest).toBe(run);
    expect(data.runs.map((r) => r.startedAt)).toEqual([older.meta.startedAt, run.meta.startedAt]);
    expect(data.trends.find((t) => t.name === 'raft-kv-partition')!.metrics.throughput).toEqual([18_200, 9100]);
  });

  it('allows only its own script, by hash, and no network at all', () => {
    const hash = createHash('sha256').update(PAGE_SCRIPT).digest('base64');
    // The policy sits in an attribute, so its quotes are escaped; the browser decodes them.
    expect(page).toContain(escapeHtml(`script-src 'sha256-${hash}'`));
    expect(page).toContain(escapeHtml("default-src 'none'"));
    expect(page).not.toMatch(/\b(src|href)="(https?:)?\/\//);
  });

  it('opens with the red banner naming the violated scenario and checker, linking to its evidence', () => {
    const main = page.slice(page.indexOf('<main>'));
    const banner = /<div class="banner banner-violation"[\s\S]*?<\/div>/.exec(main)![0];
    expect(main.indexOf('banner-violation')).toBeLessThan(main.indexOf('id="summary"'));
    expect(banner).toContain('paxos-kv-partition');
    expect(banner).toContain('linearizability (cas-register)');
    const target = /href="#(evidence-[\d-]+)"/.exec(banner)![1]!;
    expect(page).toContain(`id="${target}"`);
    // The informational violation (gossip) gets no banner.
    expect(page.match(/<div class="banner banner-violation"/g)).toHaveLength(1);
  });

  it('shows the reproduce command and calibration of every scenario', () => {
    for (const s of run.scenarios) expect(page).toContain(escapeHtml(s.command));
    expect(page).toContain('direct 41.0 µs');
  });
});

describe('runs with little in them', () => {
  it('renders a scenario that failed before measuring anything, and an algorithm parley does not know', async () => {
    const run = benchRun();
    const base = run.scenarios[0]!;
    const empty = { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 };
    const failed = {
      ...base, name: 'raft-died', status: 'failed' as const, error: 'n2 exited on its own (code 1)', checks: [], faults: [], failover: [], convergence: null,
      ops: { total: 0, ok: 0, fail: 0, info: 0, neverSent: 0 }, throughput: 0, throughputOverTime: { bucketMs: 1000, buckets: [] },
      latency: { overall: empty, byF: {}, curve: [], byPhase: {} }, nodesDetail: [], calibration: null,
      availability: { total: 0, ok: 0, fail: 0, info: 0, okRatio: 0, longestUnavailableMs: 0, windows: [] },
    };
    const foreign = { ...base, name: 'zab-kv', algo: 'zab' };
    const page = await reportDocument([{ ...run, partial: true, scenarios: [failed, foreign] }]);
    expect(page).toContain('Incomplete run');
    expect(page).toContain('n2 exited on its own (code 1)');
    expect(page).toContain('<b>raft-died</b> failed');
    expect(page).toContain('zab-kv');
    // Nothing measured for Raft or anyone else in the choosing table but a row per use case.
    expect(page.match(/<tr data-use-case=/g)).toHaveLength(4);
    expect(page).not.toContain('class="chart-error"');
    expect(page).not.toContain('NaN');
  });

  it('renders a run with no scenarios at all', async () => {
    const page = await reportDocument([{ ...benchRun(), scenarios: [] }]);
    expect(page).toContain('0 scenarios');
    expect(page).not.toContain('NaN');
  });
});
