/**
 * A strict little XML well-formedness check for tests (no XML parser is a dependency):
 * balanced, properly nested tags, quoted attributes without raw '<', and no '&' that does not
 * start a known entity. The browser test re-checks the same output with a real DOMParser.
 */
export function xmlProblems(xml: string): string[] {
  const problems: string[] = [];
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  const token = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.:-]*="[^"<]*")*)\s*(\/?)>|([^<]+)|(<)/g;
  let m: RegExpExecArray | null;
  while ((m = token.exec(body))) {
    const [, close, name, , selfClose, text, stray] = m;
    if (stray) problems.push(`stray '<' at ${m.index}`);
    else if (text !== undefined) {
      if (/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(text)) problems.push(`bare '&' at ${m.index}`);
    } else if (close) {
      if (stack.pop() !== name) problems.push(`</${name}> does not close the open element at ${m.index}`);
    } else if (!selfClose) stack.push(name!);
  }
  for (const attr of body.matchAll(/="([^"]*)"/g)) if (/&(?!(amp|lt|gt|quot|apos|#\d+);)/.test(attr[1]!)) problems.push(`bare '&' in an attribute`);
  if (stack.length) problems.push(`unclosed: ${stack.join(' > ')}`);
  return problems;
}
