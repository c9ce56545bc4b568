/**
 * The whole page: header, banners, sections in reading order, the results it was drawn from
 * (embedded as JSON, so the report alone is enough to re-render or diff it), and the one
 * inline script. A Content-Security-Policy allows exactly that script, by hash, and no
 * network at all: even if some text escaped escaping, it could neither run nor call home.
 */
import { createHash } from 'node:crypto';
import type { ResultsFile } from '../../contracts/results.js';
import { compareRuns } from '../compare.js';
import { html, jsonForScript, trustedMarkup, type SafeHtml } from '../html.js';
import { chronological, safetyViolations, undecidedChecks } from '../scenarios.js';
import { chartsSection } from './charts.js';
import { simSection } from './sim.js';
import { choosingSection } from './choosing.js';
import { comparisonSection } from './comparison.js';
import { evidenceSection } from './evidence.js';
import { runSection, scenariosSection } from './metadata.js';
import { PAGE_SCRIPT } from './script.js';
import { STYLESHEET } from './style.js';
import { banners, summarySection } from './summary.js';

export interface DocumentOptions {
  /** The results files the runs came from, in the order of `runs`, for the metadata. */
  files?: readonly string[];
  /** When the page was generated (ISO); fixed in tests. */
  generatedAt?: string;
  parleyVersion?: string;
}

const SCRIPT_HASH = createHash('sha256').update(PAGE_SCRIPT).digest('base64');
const CSP = `default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-${SCRIPT_HASH}'; base-uri 'none'; form-action 'none'`;

function overall(run: ResultsFile): SafeHtml {
  const violations = safetyViolations(run).length + (run.sim ?? []).reduce((n, s) => n + s.verdicts.invalid, 0);
  if (violations > 0) return html`<span class="pill pill-violated">${violations} safety violation${violations === 1 ? '' : 's'}</span>`;
  if (undecidedChecks(run).length > 0) return html`<span class="pill pill-undecided">undecided</span>`;
  return html`<span class="pill pill-passed">all checks passed</span>`;
}

/**
 * What the page carries as data: the latest run in full, and for a comparison the compared
 * figures of every run (not every run in full: a nightly page compares thirty runs, and
 * their histograms and samples would multiply the page's size for nothing it shows).
 */
export interface EmbeddedData {
  schema: 'parley.report-data/1';
  latest: ResultsFile;
  runs: { startedAt: string; revision: string | null; seed: number }[];
  trends: { name: string; algo: string; verdicts: string[]; metrics: Record<string, (number | null)[]> }[];
}

export function embeddedData(ordered: readonly ResultsFile[]): EmbeddedData {
  const comparison = ordered.length > 1 ? compareRuns(ordered) : null;
  return {
    schema: 'parley.report-data/1',
    latest: ordered[ordered.length - 1]!,
    runs: comparison?.runs ?? [],
    trends: (comparison?.scenarios ?? []).map((s) => ({ name: s.name, algo: s.algo, verdicts: s.verdicts, metrics: Object.fromEntries(s.metrics.map((m) => [m.metric.id, m.values])) })),
  };
}

export async function reportDocument(runs: readonly ResultsFile[], options: DocumentOptions = {}): Promise<string> {
  if (runs.length === 0) throw new Error('reportDocument: no results to render');
  const ordered = chronological(runs);
  const run = ordered[ordered.length - 1]!;
  const files = options.files ?? [];
  const latestFile = files[runs.indexOf(run)];
  const m = run.meta;
  const [choosing, charts, evidence, comparison] = await Promise.all([
    choosingSection(run),
    chartsSection(run),
    evidenceSection(run),
    ordered.length > 1 ? comparisonSection(ordered) : Promise.resolve(null),
  ]);
  const nav: [string, string][] = [
    ['summary', 'Summary'], ...(comparison ? ([['comparison', 'Comparison']] as [string, string][]) : []), ['choosing', 'Choosing an algorithm'],
    ['charts', 'Charts'], ['evidence', 'Evidence'], ...(run.sim?.length ? ([['simulation', 'Simulation']] as [string, string][]) : []), ['scenarios', 'Scenarios'], ['run', 'Run'],
  ];
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="generator" content="parley ${options.parleyVersion ?? m.parleyVersion}">
<title>parley report: ${m.suite ?? m.command}${safetyViolations(run).length ? ' (safety violation)' : ''}</title>
<style>${trustedMarkup(STYLESHEET)}</style>
</head>
<body>
<header class="top"><div class="inner">
  <div>
    <h1>parley <span>report</span></h1>
    <div class="meta">${m.suite ? `suite ${m.suite} · ` : ''}${run.scenarios.length} scenarios · started ${m.startedAt} · seed ${m.seed} · ${m.cpuModel}, ${m.cpus} cores · parley ${m.parleyVersion} (${m.gitRevision ?? 'no git'})${ordered.length > 1 ? ` · latest of ${ordered.length} runs` : ''}</div>
  </div>
  <div>${overall(run)}</div>
</div></header>
<nav class="sections" aria-label="Sections"><div class="inner">${nav.map(([id, label]) => html`<a href="#${id}">${label}</a>`)}</div></nav>
<main>
${banners(run)}
${summarySection(run)}
${comparison}
${choosing}
${charts}
${evidence}
${simSection(run)}
${scenariosSection(run)}
${runSection(run, latestFile ? [latestFile] : [])}
</main>
<footer>Generated by parley ${options.parleyVersion ?? m.parleyVersion}${options.generatedAt ? ` at ${options.generatedAt}` : ''} from ${ordered.length} results file${ordered.length === 1 ? '' : 's'}. The latest results, and the compared figures of every run, are embedded in this file as JSON (script#parley-results).</footer>
<script type="application/json" id="parley-results">${jsonForScript(embeddedData(ordered))}</script>
<script>${trustedMarkup(PAGE_SCRIPT)}</script>
</body>
</html>
`;
  return page.markup;
}
