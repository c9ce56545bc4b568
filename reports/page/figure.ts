/** A chart as it sits on the page: title, the SVG drawn in Node, and how to read it. */
import type { ChartFigure } from '../charts/run-charts.js';
import { renderSvg } from '../charts/render.js';
import { html, trustedMarkup, type SafeHtml } from '../html.js';

export async function figureHtml(figure: ChartFigure): Promise<SafeHtml> {
  let body: SafeHtml;
  try {
    body = trustedMarkup(await renderSvg(figure.spec));
  } catch (err) {
    // One chart that cannot be drawn must not cost the reader the rest of the report; the
    // browser test fails on this container because it holds no marks.
    body = html`<p class="chart-error">This chart could not be drawn: ${err instanceof Error ? err.message : String(err)}</p>`;
  }
  return html`<figure class="chart${figure.wide ? ' wide' : ''}" id="chart-${figure.id}" data-chart="${figure.id}">
  <figcaption>${figure.title}</figcaption>
  <div class="chart-body">${body}</div>
  <p class="caption">${figure.caption}</p>
</figure>`;
}

/** Figures in page order; a null (nothing to draw) is left out. */
export async function figuresHtml(figures: readonly (ChartFigure | null)[]): Promise<SafeHtml[]> {
  return Promise.all(figures.filter((f): f is ChartFigure => f !== null).map(figureHtml));
}
