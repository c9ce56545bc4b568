/**
 * The report's stylesheet, inlined so the page is one file. Quiet on purpose: greys for
 * structure, one colour per algorithm, and red kept for exactly two things, safety
 * violations and unavailability, so that red on this page always means "look here".
 * Figures use tabular numerals so columns of numbers line up digit by digit.
 */
export const STYLESHEET = `
:root {
  --ink: #1d2330; --muted: #5b6474; --faint: #8a93a3; --line: #e3e6ec; --line-strong: #c9ced8;
  --paper: #ffffff; --canvas: #f5f6f8; --accent: #2f6fb3;
  --red: #c62828; --red-bg: #fdecec; --amber: #9a5b00; --amber-bg: #fff4e0; --green: #2e7d32; --green-bg: #e9f5ea;
  --info: #4d5a70; --info-bg: #eef1f6;
  --sans: Inter, "Segoe UI", system-ui, -apple-system, Roboto, "Helvetica Neue", Arial, sans-serif;
  --mono: "JetBrains Mono", "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace;
}
* { box-sizing: border-box; }
html { scroll-padding-top: 56px; }
body { margin: 0; font: 14px/1.5 var(--sans); color: var(--ink); background: var(--canvas); -webkit-font-smoothing: antialiased; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
code, pre, .mono { font-family: var(--mono); font-size: 12.5px; }
h1, h2, h3 { line-height: 1.25; margin: 0; }
h2 { font-size: 19px; font-weight: 650; margin-bottom: 4px; }
h3 { font-size: 15px; font-weight: 600; }
.lede { color: var(--muted); margin: 0 0 16px; max-width: 90ch; }
.num { font-variant-numeric: tabular-nums; text-align: right; white-space: nowrap; }

header.top { background: var(--paper); border-bottom: 1px solid var(--line); }
header.top .inner { max-width: 1320px; margin: 0 auto; padding: 22px 28px 16px; display: flex; gap: 24px; align-items: flex-end; justify-content: space-between; flex-wrap: wrap; }
header.top h1 { font-size: 22px; font-weight: 700; letter-spacing: -0.01em; }
header.top h1 span { color: var(--muted); font-weight: 500; }
header.top .meta { color: var(--muted); font-size: 13px; margin-top: 4px; }
nav.sections { position: sticky; top: 0; z-index: 5; background: rgba(255,255,255,.96); border-bottom: 1px solid var(--line); backdrop-filter: blur(4px); }
nav.sections .inner { max-width: 1320px; margin: 0 auto; padding: 0 28px; display: flex; gap: 4px; overflow-x: auto; }
nav.sections a { color: var(--muted); padding: 10px 10px; font-size: 13px; font-weight: 550; border-bottom: 2px solid transparent; white-space: nowrap; }
nav.sections a:hover { color: var(--ink); text-decoration: none; border-bottom-color: var(--line-strong); }

main { max-width: 1320px; margin: 0 auto; padding: 20px 28px 60px; }
section.block { background: var(--paper); border: 1px solid var(--line); border-radius: 10px; padding: 20px 22px 22px; margin: 18px 0; }
section.block > h2 + .lede { margin-top: 2px; }

.pill { display: inline-block; border-radius: 999px; padding: 4px 12px; font-size: 13px; font-weight: 650; }
.pill-violated { background: var(--red); color: #fff; }
.pill-undecided { background: var(--amber-bg); color: var(--amber); border: 1px solid #f0c98a; }
.pill-passed { background: var(--green-bg); color: var(--green); border: 1px solid #b9dcbc; }

.banner { border-radius: 10px; padding: 12px 16px; margin: 18px 0 0; border: 1px solid; display: flex; gap: 12px; align-items: baseline; }
.banner strong.kind { white-space: nowrap; text-transform: uppercase; letter-spacing: .04em; font-size: 12.5px; }
.banner p { margin: 0; }
.banner-violation { background: var(--red); border-color: #a51f1f; color: #fff; box-shadow: 0 2px 10px rgba(198,40,40,.25); }
.banner-violation a { color: #fff; text-decoration: underline; font-weight: 600; }
.banner-undecided { background: var(--amber-bg); border-color: #f0c98a; color: #5c3a00; }
.banner-passed { background: var(--green-bg); border-color: #b9dcbc; color: #1f5a23; }
.banner-partial { background: var(--amber-bg); border-color: #f0c98a; color: #5c3a00; }

.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 12px; margin: 6px 0 18px; }
.card { border: 1px solid var(--line); border-left: 4px solid var(--algo, var(--faint)); border-radius: 8px; padding: 12px 14px; }
.card h3 { display: flex; justify-content: space-between; align-items: baseline; }
.card .tally { font-size: 12.5px; color: var(--muted); margin-top: 6px; }
.card .tally b { color: var(--ink); }
.card.card-violated { background: var(--red-bg); }

table { border-collapse: collapse; width: 100%; }
th, td { padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: top; text-align: left; }
thead th { font-size: 12px; font-weight: 650; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; border-bottom: 1px solid var(--line-strong); white-space: nowrap; }
tbody tr:hover td { background: #fafbfc; }
.table-wrap { overflow-x: auto; }
table.scenarios { font-size: 13px; }
table.scenarios td { padding: 7px 7px; }
table.scenarios td.checks .chip { white-space: normal; }
table.scenarios td.load, table.scenarios td.faults { min-width: 100px; }
table.scenarios thead th { white-space: normal; vertical-align: bottom; padding: 7px 7px; }
table.scenarios td.checks { white-space: normal; min-width: 150px; max-width: 220px; }
table.scenarios td.name { white-space: normal; min-width: 150px; max-width: 240px; overflow-wrap: anywhere; }
tr.group th { background: var(--canvas); font-size: 13px; color: var(--ink); border-top: 1px solid var(--line-strong); }
.algo-dot { display: inline-block; width: 9px; height: 9px; border-radius: 50%; background: var(--algo, var(--faint)); margin-right: 6px; vertical-align: baseline; }
.muted { color: var(--muted); }
.small { font-size: 12.5px; }

.chip { display: inline-flex; gap: 4px; align-items: center; border-radius: 6px; padding: 1px 7px; margin: 1px 4px 1px 0; font-size: 12px; font-weight: 550; border: 1px solid; white-space: nowrap; }
.chip-passed { color: var(--green); background: var(--green-bg); border-color: #b9dcbc; }
.chip-violated { color: #fff; background: var(--red); border-color: var(--red); }
a.chip-violated { color: #fff; }
.chip-undecided { color: var(--amber); background: var(--amber-bg); border-color: #f0c98a; }
.chip-informational { color: var(--info); background: var(--info-bg); border-color: #d5dbe6; }

table.choosing { table-layout: fixed; }
table.choosing th.usecase { width: 190px; }
table.choosing th.pick { width: 160px; }
table.choosing td, table.choosing th { border: 1px solid var(--line); padding: 10px 12px; }
table.choosing thead th { text-align: center; }
table.choosing th.usecase-row { font-weight: 650; font-size: 14px; text-transform: none; color: var(--ink); }
table.choosing th.usecase-row .asks { display: block; font-weight: 400; color: var(--muted); font-size: 12px; margin-top: 3px; }
table.choosing th.usecase-row .textbook { display: block; font-weight: 500; font-size: 12px; margin-top: 6px; }
td.cell .verdict { display: inline-block; font-size: 11.5px; font-weight: 700; text-transform: uppercase; letter-spacing: .05em; border-radius: 4px; padding: 1px 7px; margin-bottom: 6px; }
td.cell ul.figures { list-style: none; margin: 0; padding: 0; font-size: 12.5px; line-height: 1.35; }
td.cell ul.figures li { margin: 0 0 4px; }
td.cell ul.figures .value { font-weight: 600; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.cell ul.figures .label { color: var(--muted); }
td.cell ul.figures .ci { color: var(--muted); font-variant-numeric: tabular-nums; white-space: nowrap; }
td.cell ul.figures li.primary .value { font-size: 15px; font-weight: 700; }
td.cell ul.figures li.alarm .value { color: var(--red); }
td.cell .reason { font-size: 12px; color: var(--muted); margin-top: 6px; font-style: italic; }
td.cell .refs { font-size: 11.5px; margin-top: 4px; }
td.cell-pick { background: #f0f7f1; box-shadow: inset 0 0 0 2px #7fbf86; }
td.cell-pick .verdict { background: var(--green); color: #fff; }
td.cell-viable .verdict { background: #e6eefa; color: #24518a; }
td.cell-unsuitable { background: #fbf5f5; }
td.cell-unsuitable .verdict { background: var(--red-bg); color: var(--red); }
td.cell-unverified .verdict { background: var(--amber-bg); color: var(--amber); }
td.cell-not-measured { background: repeating-linear-gradient(135deg, #fafbfc, #fafbfc 6px, #f3f4f7 6px, #f3f4f7 12px); color: var(--faint); }
td.cell-not-measured .verdict { background: #eceef2; color: var(--muted); }
td.cell-reference { background: #f6f7fb; border-left: 2px dashed var(--line); }
td.cell-reference .verdict { background: #e4e7ef; color: #3d4a63; }
td.cell-reference.cell-unsuitable .verdict { background: var(--red-bg); color: var(--red); }
table.choosing th.reference { white-space: normal; }
table.choosing th.reference span { display: block; font-weight: 500; text-transform: none; letter-spacing: 0; }
.reference-rule { margin-top: 6px; font-size: 12.5px; }
td.pick-col strong { font-size: 15px; }
td.pick-col .agree { color: var(--green); font-size: 12.5px; }
td.pick-col .differs { color: var(--amber); font-size: 12.5px; font-weight: 600; }
.rule-box { background: var(--canvas); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; margin: 0 0 14px; font-size: 13px; }
.rule-box ul { margin: 6px 0 0; padding-left: 18px; }
.caveat { color: var(--amber); font-size: 12px; margin-top: 6px; }
.scale-note { display: block; font-weight: 400; color: var(--muted); margin-top: 6px; }

.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(540px, 1fr)); gap: 16px; }
figure.chart { margin: 0; border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px 10px; background: var(--paper); min-width: 0; }
figure.chart.wide { grid-column: 1 / -1; }
figure.chart figcaption { font-weight: 600; font-size: 13.5px; margin-bottom: 6px; }
figure.chart .chart-body { overflow-x: auto; }
figure.chart .chart-body svg { max-width: 100%; height: auto; display: block; }
figure.chart p.caption { color: var(--muted); font-size: 12px; margin: 6px 0 0; }
.chart-error { color: var(--red); font-size: 13px; }
h3.charts-heading { margin: 22px 0 10px; }
h3.charts-heading:first-of-type { margin-top: 6px; }

article.evidence { border: 1px solid var(--line); border-left: 4px solid var(--faint); border-radius: 8px; padding: 14px 16px; margin: 14px 0; }
article.evidence.evidence-violated { border-left-color: var(--red); }
article.evidence.evidence-undecided { border-left-color: #e0a03a; }
article.evidence:target { box-shadow: 0 0 0 3px rgba(47,111,179,.35); }
article.evidence p.summary { margin: 6px 0 12px; font-size: 14px; }
article.evidence table { font-size: 12.5px; margin-top: 10px; }
.role { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }

section.scenario { border-top: 1px solid var(--line); padding: 16px 0 6px; }
section.scenario:first-of-type { border-top: 0; }
section.scenario:target h3 { color: var(--accent); }
.facts { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 2px 28px; margin: 10px 0 14px; font-size: 13px; }
.facts div { display: flex; justify-content: space-between; gap: 16px; border-bottom: 1px dotted var(--line); padding: 3px 0; }
.facts span:first-child { color: var(--muted); white-space: nowrap; }
.facts span:last-child { text-align: right; min-width: 0; overflow-wrap: anywhere; }
.scenario-tables { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 0 24px; }
pre.command { background: #1d2330; color: #e9edf3; padding: 10px 12px; border-radius: 6px; overflow-x: auto; margin: 8px 0; white-space: pre-wrap; word-break: break-all; }
details { margin: 8px 0; }
details summary { cursor: pointer; color: var(--accent); font-size: 13px; }
details pre { background: var(--canvas); border: 1px solid var(--line); padding: 10px 12px; border-radius: 6px; max-height: 420px; overflow: auto; }
dl.meta { display: grid; grid-template-columns: 190px 1fr; gap: 4px 16px; margin: 0; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; }

table.compare td.delta { font-size: 12px; white-space: nowrap; }
td .change-better { color: var(--green); font-weight: 650; }
td .change-worse { color: var(--red); font-weight: 650; }
td .change-noise, td .change-missing { color: var(--faint); }
td.delta.worse { background: var(--red-bg); }
td.delta.better { background: var(--green-bg); }
.trail { letter-spacing: 1px; font-size: 13px; white-space: nowrap; }
.trail .passed { color: var(--green); } .trail .violated { color: var(--red); } .trail .undecided { color: var(--amber); } .trail .absent { color: var(--faint); }
tr.regressed td:first-child { box-shadow: inset 4px 0 0 var(--red); }
.trends { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 12px; margin-top: 16px; }

.tooltip { position: fixed; z-index: 20; pointer-events: none; background: #1d2330; color: #fff; font-size: 12px; padding: 6px 9px; border-radius: 6px; max-width: 420px; box-shadow: 0 4px 14px rgba(0,0,0,.2); }
footer { color: var(--faint); font-size: 12px; text-align: center; padding: 10px 0 30px; }
@media print { nav.sections { display: none; } section.block { break-inside: avoid-page; border: 0; } body { background: #fff; } }
`;
