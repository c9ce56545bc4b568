/**
 * Vega-Lite specs in, static SVG out, all in Node: the page carries finished drawings and no
 * chart runtime. Why not embed vega.min.js (520 KB) and render in the browser?
 *
 * - The report must open anywhere it is published: CI artifact viewers (Jenkins' HTML
 *   publisher, GitLab pages behind a strict Content-Security-Policy) block inline scripts,
 *   and Vega's runtime compiles expressions with `new Function`, which such policies forbid.
 *   Static SVG renders with scripting off.
 * - A nightly job keeps hundreds of reports; 40 KB of SVG beats half a megabyte of runtime
 *   in each, and the page is drawn before the first paint instead of after a script runs.
 * - What is drawn is decided at render time, so a Node test can assert on it.
 *
 * What is given up, Vega's own tooltips, comes back through the page's small script: Vega
 * writes each mark's `description` encoding into an aria-label, which the script shows on
 * hover (and screen readers read anyway).
 */
import { compile, type Config, type TopLevelSpec } from 'vega-lite';
import { parse, View, type LoggerInterface } from 'vega';
import { ALGORITHM_COLORS, ALGORITHM_COLUMNS, algorithmLabel } from '../scenarios.js';

const FONT = 'Inter, "Segoe UI", system-ui, -apple-system, Roboto, "Helvetica Neue", Arial, sans-serif';
export const INK = '#1d2330';
export const MUTED = '#5b6474';
export const ALARM = '#c62828';
export const FAULT_FILL = '#e8a33d';

const CONFIG: Config = {
  font: FONT,
  background: 'transparent',
  padding: 4,
  view: { stroke: null },
  axis: {
    labelColor: MUTED, titleColor: INK, labelFontSize: 11, titleFontSize: 11, titleFontWeight: 600,
    gridColor: '#e7eaf0', domainColor: '#c9ced8', tickColor: '#c9ced8', labelLimit: 320,
  },
  legend: { labelLimit: 320, labelColor: INK, titleColor: INK, labelFontSize: 11, titleFontSize: 11, titleFontWeight: 600, orient: 'bottom', direction: 'horizontal', symbolStrokeWidth: 2.5 },
  header: { labelColor: INK, titleColor: INK, labelFontSize: 11 },
  title: { color: INK, fontSize: 12, fontWeight: 600, anchor: 'start' },
  line: { strokeWidth: 2 },
  point: { filled: true, size: 40 },
  range: { category: ['#2f6fb3', '#1f9486', '#7b5ea7', '#c07a12', '#5b6474', '#b0487a'] },
};

/**
 * The colour scale for algorithms, by display label, so Raft is the same blue in every chart
 * whichever subset of algorithms a chart shows.
 */
export function algorithmColor(algos: readonly string[]): { domain: string[]; range: string[] } {
  const present = [...new Set(algos)];
  const known = ALGORITHM_COLUMNS.filter((a) => present.includes(a));
  const others = present.filter((a) => !(ALGORITHM_COLUMNS as readonly string[]).includes(a));
  return {
    domain: [...known.map(algorithmLabel), ...others],
    range: [...known.map((a) => ALGORITHM_COLORS[a]), ...others.map(() => '#5b6474')],
  };
}

/**
 * Vega and Vega-Lite log warnings to the console, which would land in the middle of a run's
 * terminal output; they go to `onWarning` instead (the chart tests collect them and expect
 * none), and errors still throw.
 */
function reportLogger(onWarning: (message: string) => void): LoggerInterface {
  let level = 2;
  const logger: LoggerInterface = {
    level(next?: number) {
      if (next === undefined) return level;
      level = next;
      return logger;
    },
    error(...args: unknown[]) {
      throw new Error(args.map(String).join(' '));
    },
    warn(...args: unknown[]) {
      onWarning(args.map(String).join(' '));
      return logger;
    },
    info: () => logger,
    debug: () => logger,
  };
  return logger;
}

export interface RenderOptions {
  onWarning?: (message: string) => void;
}

/** Compile a Vega-Lite spec with the report's theme and draw it as an SVG string. */
export async function renderSvg(spec: TopLevelSpec, options: RenderOptions = {}): Promise<string> {
  const logger = reportLogger(options.onWarning ?? (() => {}));
  const themed = { ...spec, config: { ...CONFIG, ...(spec.config ?? {}) } } as TopLevelSpec;
  const view = new View(parse(compile(themed, { logger }).spec), { renderer: 'none', logger });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
