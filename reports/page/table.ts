/** The plain tables of the evidence and scenario sections. */
import { html, type HtmlValue, type SafeHtml } from '../html.js';

/**
 * A header row and one array of cells per row; columns listed in `numeric` are right-aligned
 * with tabular figures so their digits line up. An empty table renders as nothing.
 */
export function dataTable(head: readonly string[], rows: readonly (readonly HtmlValue[])[], numeric: readonly number[] = []): SafeHtml {
  if (rows.length === 0) return html``;
  const cls = (i: number) => (numeric.includes(i) ? 'num' : null);
  return html`<div class="table-wrap"><table><thead><tr>${head.map((h, i) => html`<th class="${cls(i)}">${h}</th>`)}</tr></thead>
<tbody>${rows.map((r) => html`<tr>${r.map((c, i) => html`<td class="${cls(i)}">${c}</td>`)}</tr>`)}</tbody></table></div>`;
}
