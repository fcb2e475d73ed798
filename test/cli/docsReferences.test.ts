import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/**
 * README.md and docs/*.md refer to nothing that is not there: every relative link (and its
 * #anchor) and every repository path they mention exists, and no placeholder was left in.
 */

const ROOT = join(__dirname, '..', '..');
const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** Top folders of the repository: a word starting with one of them and a slash is a path. */
const PATH = /(?<![\w./$<-])((?:src|test|docs|bench|scripts|examples|machines|actors|\.ci)\/[\w./-]*[\w/])/g;
const LINK = /\[[^\]]*\]\(([^)\s]+)\)/g;

/**
 * Placeholders known to remain in files other people maintain, reported to them: listed so that
 * this test says when one is gone (then remove it here), and fails on any new one.
 */
const KNOWN_PLACEHOLDERS: Record<string, string[]> = {};
const PLACEHOLDERS = ['<package>', 'TODO', 'TBD', 'FIXME', 'XXX', 'lorem ipsum'];

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to dashes. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\w\s-]/g, '')
    .replace(/\s/g, '-');
}

function anchors(file: string): Set<string> {
  const text = readFileSync(file, 'utf8');
  return new Set([...text.matchAll(/^#+ (.*)$/gm)].map((m) => anchorOf(m[1].replace(/`/g, ''))));
}

/** The text outside fenced code blocks' console output is still checked: paths there are real too. */
function docText(doc: string): string {
  return readFileSync(join(ROOT, doc), 'utf8');
}

test.each(DOCS)('%s: every relative link and its anchor exists', (doc) => {
  const missing: string[] = [];
  for (const [, target] of docText(doc).matchAll(LINK)) {
    if (/^[a-z]+:/.test(target)) continue; // http:, https:, mailto:
    const [path, anchor] = target.split('#');
    const file = path === '' ? join(ROOT, doc) : join(ROOT, dirname(doc), path);
    if (!existsSync(file)) missing.push(target);
    else if (anchor !== undefined && file.endsWith('.md') && !anchors(file).has(anchor)) missing.push(`${target} (no such heading)`);
  }
  expect(missing).toEqual([]);
});

test.each(DOCS)('%s: every repository path it names exists', (doc) => {
  const missing = [...new Set([...docText(doc).matchAll(PATH)].map((m) => m[1].replace(/\.$/, '')))].filter((path) => !existsSync(join(ROOT, path)));
  expect(missing).toEqual([]);
});

test('no placeholders left in the docs', () => {
  const found: string[] = [];
  for (const doc of DOCS) {
    const text = docText(doc);
    for (const placeholder of PLACEHOLDERS) {
      if (!text.includes(placeholder)) continue;
      if (KNOWN_PLACEHOLDERS[doc]?.includes(placeholder)) continue;
      found.push(`${doc}: ${placeholder}`);
    }
  }
  expect(found).toEqual([]);
  for (const [doc, known] of Object.entries(KNOWN_PLACEHOLDERS)) {
    for (const placeholder of known) expect([relative(ROOT, join(ROOT, doc)), placeholder, docText(doc).includes(placeholder)]).toEqual([doc, placeholder, true]);
  }
});
