/**
 * The one way the report turns values into HTML. Every string in results.json came from a
 * config file, a node or a recorded history, so none of it is trusted: the `html` template
 * tag escapes every interpolated value unless it is already `SafeHtml`, which only this
 * module and `trustedMarkup` can make. The page is built as strings in Node and never uses
 * innerHTML in the browser, so this is the only escaping there is.
 */

/** Markup that is already safe to place in the page. */
export class SafeHtml {
  /** Constructed only here (and by `trustedMarkup`), so a plain string can never pass as markup. */
  private constructor(readonly markup: string) {}

  static fromTrusted(markup: string): SafeHtml {
    return new SafeHtml(markup);
  }

  toString(): string {
    return this.markup;
  }
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for an element body or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.markup;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

/** `html\`<td>${name}</td>\``: the literal parts are markup, every value is escaped text. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]!;
  });
  return SafeHtml.fromTrusted(out);
}

/**
 * Markup parley itself generated: the stylesheet, the inline script, and SVG from Vega's
 * renderer (which escapes the text and attribute values it draws from data).
 */
export function trustedMarkup(markup: string): SafeHtml {
  return SafeHtml.fromTrusted(markup);
}

/**
 * JSON to embed in `<script type="application/json">`. JSON.stringify alone is not enough:
 * a string holding `</script>` would end the element, `<!--` would switch the HTML parser
 * into a comment-like state, and U+2028/U+2029 break older JavaScript parsers. Escaping `<`,
 * `>`, `&` and both separators as \u sequences keeps the text valid JSON that parses back to
 * the same value.
 */
export function jsonForScript(value: unknown): SafeHtml {
  const json = JSON.stringify(value) ?? 'null';
  return SafeHtml.fromTrusted(
    json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
  );
}
