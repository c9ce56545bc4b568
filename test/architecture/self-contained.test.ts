/**
 * The repository explains itself: every relative link in README.md and docs/ leads to a
 * file (and heading) that exists, and no source, test or document cites a file that lives
 * only outside the repository (a design note on one machine, a sibling checkout).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SKIP = new Set(['node_modules', 'dist', 'out', '.git', '.parley', 'coverage']);

function filesUnder(dir: string, keep: (name: string) => boolean): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(e.name)) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p, keep));
    else if (keep(e.name)) out.push(p);
  }
  return out;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
}

function anchorsIn(markdown: string): Set<string> {
  const body = markdown.replace(/^```[\s\S]*?^```/gm, '');
  return new Set([...body.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1]!)));
}

/** Relative links of a markdown file that do not resolve, as "file: target". */
function brokenLinks(file: string, markdown: string, exists: (p: string) => string | null): string[] {
  const body = markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
  const broken: string[] = [];
  for (const m of body.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1]!;
    if (/^[a-z]+:/i.test(target)) continue;
    const [ref, anchor] = target.split('#') as [string, string | undefined];
    const resolved = ref === '' ? file : path.resolve(path.dirname(file), ref);
    const text = exists(resolved);
    if (text === null) broken.push(`${path.relative(ROOT, file)}: ${target}`);
    else if (anchor && resolved.endsWith('.md') && !anchorsIn(text).has(anchor)) broken.push(`${path.relative(ROOT, file)}: ${target} (no such heading)`);
  }
  return broken;
}

const readIfExists = (p: string): string | null => {
  if (!fs.existsSync(p)) return null;
  return fs.statSync(p).isDirectory() ? '' : fs.readFileSync(p, 'utf8');
};

describe('links between documents', () => {
  it('the check sees a missing file, a missing heading, and passes a good link', () => {
    const files: Record<string, string> = { [path.join(ROOT, 'docs/a.md')]: '# Exit codes\n', [path.join(ROOT, 'docs/b.md')]: '' };
    const exists = (p: string) => files[p] ?? null;
    const md = '[ok](a.md#exit-codes) [gone](missing.md) [no heading](a.md#nope) [web](https://example.org) `[code](x.md)`';
    expect(brokenLinks(path.join(ROOT, 'docs/b.md'), md, exists)).toEqual(['docs/b.md: missing.md', 'docs/b.md: a.md#nope (no such heading)']);
    expect(anchorOf('Register histories (models `register` and `cas-register`)')).toBe('register-histories-models-register-and-cas-register');
  });

  it('every relative link in README.md and docs/ resolves inside the repository', () => {
    const docs = [path.join(ROOT, 'README.md'), ...filesUnder(path.join(ROOT, 'docs'), (n) => n.endsWith('.md'))];
    expect(docs.length).toBeGreaterThan(5);
    const broken = docs.flatMap((f) => brokenLinks(f, fs.readFileSync(f, 'utf8'), readIfExists));
    expect(broken).toEqual([]);
  });
});

describe('docs/architecture.md', () => {
  it('names only modules and folders that exist', () => {
    const text = fs.readFileSync(path.join(ROOT, 'docs/architecture.md'), 'utf8');
    // Backticked repository paths; patterns such as `nodes/<name>/core.ts` are not paths.
    const named = [...text.matchAll(/`((?:nodes|workloads|contracts|reports|harness|test|bin|docs)\/[\w./-]*)`/g)].map((m) => m[1]!);
    expect(named.length).toBeGreaterThan(50);
    expect([...new Set(named)].filter((p) => !fs.existsSync(path.join(ROOT, p)))).toEqual([]);
  });
});

describe('nothing points outside the repository', () => {
  // Built from pieces so that this file does not name them itself.
  const OUTSIDE = [['DESIGN', '.md'], ['/work', '/'], ['../', 'shared']].map(([a, b]) => a! + b!);

  it('no source, test, script or document names a file that lives elsewhere', () => {
    const files = filesUnder(ROOT, (n) => /\.(ts|js|md|json|ya?ml)$/.test(n) && n !== 'package-lock.json');
    expect(files.length).toBeGreaterThan(200);
    const hits = files.flatMap((f) => {
      const text = fs.readFileSync(f, 'utf8');
      return OUTSIDE.filter((s) => text.includes(s)).map((s) => `${path.relative(ROOT, f)}: ${s}`);
    });
    expect(hits).toEqual([]);
  });
});
