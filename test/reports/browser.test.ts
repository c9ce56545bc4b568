/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The report opened the way a reader opens it: from a file:// URL in a real headless
 * Chromium (Debian's /usr/bin/chromium, driven by playwright-core), with every network
 * request recorded and refused. It must make none, log no error, draw every chart, show the
 * choosing table whole, and keep hostile text as text. Screenshots go to the OS temp dir.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReport } from '../../reports/index.js';
import { junitXml } from '../../reports/junit.js';
import { benchRun, XSS_NAME } from './fixtures/results.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const OUT = path.join(os.tmpdir(), 'parley-report-test');

interface Opened {
  page: Page;
  requests: string[];
  errors: string[];
  dialogs: string[];
}

let browser: Browser;

async function open(file: string): Promise<Opened> {
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  const opened: Opened = { page, requests: [], errors: [], dialogs: [] };
  const url = pathToFileURL(file).href;
  page.on('request', (r) => {
    if (r.url() !== url) opened.requests.push(r.url());
  });
  await page.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
  page.on('console', (m) => {
    if (m.type() === 'error') opened.errors.push(m.text());
  });
  page.on('pageerror', (e) => opened.errors.push(String(e)));
  page.on('dialog', (d) => {
    opened.dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(url, { waitUntil: 'load' });
  return opened;
}

/** Per chart container: its id and how many drawn marks its SVG holds. */
function chartMarks(page: Page): Promise<{ id: string; marks: number }[]> {
  return page.$$eval('figure.chart', (figures) =>
    figures.map((f) => ({ id: f.id, marks: f.querySelectorAll('svg g.role-mark > path, svg g.role-mark > line, svg g.role-mark > text, svg g.role-mark > rect').length })),
  );
}

beforeAll(async () => {
  fs.mkdirSync(OUT, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
});
afterAll(async () => {
  await browser?.close();
});

describe('report.html of one run, in Chromium', () => {
  let opened: Opened;
  beforeAll(async () => {
    const file = await renderReport([benchRun()], path.join(OUT, 'single', 'report.html'));
    opened = await open(file);
  });

  it('makes no network request, logs no error, and fires no dialog', () => {
    expect(opened.requests).toEqual([]);
    expect(opened.errors).toEqual([]);
    expect(opened.dialogs).toEqual([]);
  });

  it('draws every chart: each container holds an SVG with marks', async () => {
    const charts = await chartMarks(opened.page);
    const ids = charts.map((c) => c.id);
    for (const expected of ['chart-latency-kv', 'chart-latency-bank', 'chart-throughput-0', 'chart-throughput-12', 'chart-availability', 'chart-scaling', 'chart-convergence-distribution', 'chart-resources', 'chart-timeline-1-0']) {
      expect(ids).toContain(expected);
    }
    for (const c of charts) expect(c.marks, c.id).toBeGreaterThan(0);
    expect(await opened.page.locator('.chart-error').count()).toBe(0);
  });

  it('has the choosing table whole: four algorithms, four use cases, a verdict in every cell', async () => {
    const page = opened.page;
    const heads = await page.$$eval('table.choosing thead th', (ths) => ths.map((th) => th.textContent!.trim()));
    expect(heads).toEqual(['Use case', 'Multi-Paxos', 'Raft', '2PC', 'Gossip', 'Measured pick']);
    const rows = await page.$$eval('table.choosing tbody tr', (trs) =>
      trs.map((tr) => ({ id: tr.getAttribute('data-use-case'), verdicts: [...tr.querySelectorAll('td.cell .verdict')].map((v) => v.textContent!.trim()) })),
    );
    expect(rows.map((r) => r.id)).toEqual(['databases', 'leader-election', 'acid', 'decentralized']);
    for (const r of rows) expect(r.verdicts).toHaveLength(4);
    // One scenario per cell is one trial: no interval, so the textbook breaks every tie.
    expect(rows[2]!.verdicts).toEqual(['not measured', 'viable', 'pick', 'not measured']);
    await expect(page.locator('tr[data-use-case="acid"] td.pick-col').innerText()).resolves.toMatch(/Agrees with the textbook \(2PC\)/);
  });

  it('shows the hostile scenario name as literal text and runs none of it', async () => {
    const page = opened.page;
    // Linked from the summary table and from the choosing table's Raft cell.
    expect(await page.locator(`a:text-is("${XSS_NAME}")`).count()).toBe(2);
    await expect(page.locator(`#chart-throughput-12 figcaption`).innerText()).resolves.toBe(`${XSS_NAME} (Raft)`);
    expect(await page.locator('body').innerText()).toContain(XSS_NAME);
    expect(await page.locator('script').count()).toBe(2);
    expect(await page.locator('img').count()).toBe(0);
  });

  it('puts the red banner first, and its link lands on the evidence', async () => {
    const page = opened.page;
    const banner = page.locator('main > .banner').first();
    await expect(banner.getAttribute('class')).resolves.toContain('banner-violation');
    await expect(banner.innerText()).resolves.toMatch(/SAFETY VIOLATION[\s\S]*linearizability \(cas-register\) failed in paxos-kv-partition/i);
    await banner.locator('a').click();
    const target = await page.evaluate(() => location.hash);
    expect(target).toMatch(/^#evidence-1-0$/);
    await expect(page.locator(`${target} .summary`).innerText()).resolves.toContain('Not linearizable on key "k1"');
    expect(await page.locator(`${target} figure.chart svg`).count()).toBe(1);
  });

  it('shows a mark\'s figures on hover, as text', async () => {
    const page = opened.page;
    const mark = page.locator('#chart-timeline-1-0 g.role-mark > path[aria-label*="stuck"]').first();
    await mark.hover({ force: true });
    const tip = page.locator('.tooltip');
    await expect(tip.isVisible()).resolves.toBe(true);
    await expect(tip.innerText()).resolves.toContain('stuck: process 3 read → "<b>v0</b>"');
  });

  it('JUnit output parses as XML in the browser', async () => {
    const xml = junitXml(benchRun());
    const result = await opened.page.evaluate((text) => {
      const doc = new DOMParser().parseFromString(text, 'application/xml');
      return { error: doc.querySelector('parsererror')?.textContent ?? null, cases: doc.querySelectorAll('testcase').length };
    }, xml);
    expect(result.error).toBeNull();
    expect(result.cases).toBe(14);
  });

  it('renders a screenshot for a human to look at', async () => {
    const shot = path.join(OUT, 'report.png');
    await opened.page.evaluate(() => window.scrollTo(0, 0));
    await opened.page.screenshot({ path: shot, fullPage: true });
    expect(fs.statSync(shot).size).toBeGreaterThan(50_000);
  });
});

describe('report.html comparing three runs, in Chromium', () => {
  let opened: Opened;
  beforeAll(async () => {
    const runs = [
      benchRun({ startedAt: '2025-11-20T02:00:00.000Z', scale: { raft: 0.7 } }),
      benchRun({ startedAt: '2025-11-18T02:00:00.000Z' }),
      benchRun({ startedAt: '2025-11-19T02:00:00.000Z', scale: { paxos: 1.3 } }),
    ];
    opened = await open(await renderReport(runs, path.join(OUT, 'compare', 'report.html')));
  });

  it('shows the comparison with regressions highlighted and a trend chart per metric', async () => {
    const page = opened.page;
    expect(opened.requests).toEqual([]);
    expect(opened.errors).toEqual([]);
    await expect(page.locator('#comparison h2').innerText()).resolves.toBe('Comparison across 3 runs');
    const raft = page.locator('table.compare tbody tr', { hasText: 'raft-kv-partition' });
    await expect(raft.locator('td.delta').first().innerText()).resolves.toMatch(/6\.4k\/s\s*▼ −30\.0%/);
    await expect(raft.locator('td.delta').first().getAttribute('class')).resolves.toContain('worse');
    const trends = (await chartMarks(page)).filter((c) => c.id.startsWith('chart-trend-'));
    expect(trends.length).toBeGreaterThanOrEqual(6);
    for (const t of trends) expect(t.marks, t.id).toBeGreaterThan(0);
    await page.locator('#comparison').screenshot({ path: path.join(OUT, 'comparison.png') });
  });
});
