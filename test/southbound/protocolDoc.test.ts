import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from 'typescript';
import { packageRoot } from '../../src/packageRoot';

/** The TypeScript snippets of docs/southbound-protocol.md must compile and run as written. */
const root = packageRoot();
const doc = readFileSync(join(root, 'docs', 'southbound-protocol.md'), 'utf8');
const snippets = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
const PACKAGE = 'contiv-controller-ts';

/** Snippets as files beside the docs (never written to disk), so that node_modules resolve as for a user. */
const snippetPath = (i: number): string => join(root, 'docs', `__southbound-protocol-snippet-${i}.ts`);

describe('docs/southbound-protocol.md', () => {
  it('has TypeScript snippets for the client and the reference southbound', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(2);
  });

  it('type-checks every snippet against the package as a user imports it', () => {
    const options: ts.CompilerOptions = {
      strict: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ES2022,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      esModuleInterop: true,
      skipLibCheck: true,
      noEmit: true,
      types: ['node'],
      baseUrl: root,
      paths: { [PACKAGE]: ['src/index.ts'] },
    };
    const host = ts.createCompilerHost(options);
    const files = new Map(snippets.map((code, i) => [snippetPath(i), code]));
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (name, language) => {
      const code = files.get(name);
      return code === undefined ? getSourceFile(name, language) : ts.createSourceFile(name, code, language, true);
    };
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (name) => files.has(name) || fileExists(name);
    const program = ts.createProgram([...files.keys()], options, host);
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file && files.has(d.file.fileName))
      .map((d) => `${d.file?.fileName}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(problems).toEqual([]);
  });

  it.each(snippets.map((code, i) => [i, code] as const))('runs snippet %i to its end', async (_i, code) => {
    const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText;
    const printed: unknown[][] = [];
    const quiet = { ...console, log: (...args: unknown[]) => printed.push(args) };
    const snippetRequire = (id: string): unknown => require(id === PACKAGE ? join(root, 'src', 'index.ts') : id);
    // Top-level await, as a user's ES module would have it.
    const run = new Function('require', 'exports', 'console', `return (async () => {\n${js}\n})();`) as (
      r: typeof snippetRequire,
      e: object,
      c: typeof quiet,
    ) => Promise<void>;
    await run(snippetRequire, {}, quiet);
    expect(printed.length).toBeGreaterThan(0);
  });
});
