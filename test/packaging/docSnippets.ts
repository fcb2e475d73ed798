import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from 'typescript';

/**
 * The TypeScript snippets of README.md and docs/*.md: every ```ts (or ```typescript) block is a
 * complete program a user can paste into a file of an ES module project. The one exception, rare
 * and explained in docs/embedding.md: a block right after the line
 * `<!-- snippet: compile-only, <why> -->` is compiled but not run.
 */
export interface Snippet {
  /** A file name for it: `<doc>-<n>`, e.g. `readme-1`, `writing-handlers-3`. */
  name: string;
  doc: string;
  /** Line of the opening fence in the doc. */
  line: number;
  code: string;
  run: boolean;
}

const FENCE = /^```(ts|typescript)\s*$/;
const COMPILE_ONLY = /^<!-- snippet: compile-only, .+ -->$/;

export function docSnippets(root: string): Snippet[] {
  const docs = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
  const snippets: Snippet[] = [];
  for (const doc of docs) {
    const lines = readFileSync(join(root, doc), 'utf8').split('\n');
    const base = doc.replace(/^docs\//, '').replace(/\.md$/, '').toLowerCase();
    let n = 0;
    for (let i = 0; i < lines.length; i++) {
      if (!FENCE.test(lines[i] ?? '')) continue;
      const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
      if (end < 0) throw new Error(`${doc}:${i + 1}: the code block is not closed`);
      snippets.push({ name: `${base}-${++n}`, doc, line: i + 1, code: lines.slice(i + 1, end).join('\n') + '\n', run: !COMPILE_ONLY.test(lines[i - 1] ?? '') });
      i = end;
    }
  }
  return snippets;
}

/**
 * The same program for a CommonJS project, which has no top-level await: the imports stay on top,
 * everything else runs in an async function (what docs/embedding.md tells CommonJS users to do).
 */
export function asCommonJs(code: string): string {
  const source = ts.createSourceFile('snippet.ts', code, ts.ScriptTarget.ES2022, true);
  const imports = source.statements.filter(ts.isImportDeclaration).map((s) => s.getFullText(source).trim());
  const body = source.statements.filter((s) => !ts.isImportDeclaration(s)).map((s) => s.getFullText(source)).join('');
  return `${imports.join('\n')}\n\nasync function main(): Promise<void> {${body}\n}\n\nmain().catch((error: unknown) => {\n  console.error(error);\n  process.exitCode = 1;\n});\n`;
}
