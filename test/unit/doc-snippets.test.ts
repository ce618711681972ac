// The README's and docs/contributing.md's TypeScript snippets are the code of examples/ (which
// test/integration/examples.test.ts runs): a snippet whose surrounding text names `examples/<file>.ts` must appear in
// that file, so the two cannot drift. Pure file reading.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface Snippet {
  code: string;
  /** The examples/ file named in the text just before this code block, else in the text just after it. */
  example: string | null;
  line: number;
}

/** The ```ts blocks of a markdown file, each with the example file its surrounding text names. */
function tsSnippets(markdown: string): Snippet[] {
  const lines = markdown.split('\n');
  const texts: string[][] = [[]]; // texts[k]: the text before block k (and after block k − 1)
  const blocks: { lang: string; code: string; line: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith('```')) {
      texts[texts.length - 1].push(lines[i]);
      continue;
    }
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i].startsWith('```'); i++) body.push(lines[i]);
    blocks.push({ lang: lines[start].slice(3).trim(), code: body.join('\n'), line: start + 1 });
    texts.push([]);
  }
  const named = (k: number) => texts[k].join('\n').match(/examples\/[\w-]+\.ts/g);
  return blocks.flatMap((b, k) => {
    if (b.lang !== 'ts') return [];
    const before = named(k);
    const after = named(k + 1);
    const example = before ? before[before.length - 1] : after ? after[0] : null;
    return [{ code: b.code, example, line: b.line }];
  });
}

/** `import [type] { a, b } from 'x'` statements of a snippet, and its code without them. */
function splitImports(code: string): { imports: { names: string[]; from: string }[]; body: string } {
  const imports: { names: string[]; from: string }[] = [];
  const body = code.replace(/^import (?:type )?\{([^}]*)\} from '([^']+)';\n?/gm, (_, names: string, from: string) => {
    imports.push({
      names: names
        .split(',')
        .map((n) => n.trim().replace(/^type /, ''))
        .filter(Boolean),
      from,
    });
    return '';
  });
  return { imports, body: body.trim() };
}

/** Where an example imports what a user imports from the package: the source entries. */
const SOURCE_OF: Record<string, string> = { mcomplete: '../src/index.ts', 'mcomplete/node': '../src/node.ts' };

function checkSnippet(doc: string, s: Snippet): void {
  const where = `${doc}:${s.line}`;
  const example = readFileSync(`${root}${s.example}`, 'utf8');
  const snippet = splitImports(s.code);
  const file = splitImports(example);
  assert.ok(snippet.body.length > 0, `${where}: an empty snippet`);
  assert.ok(example.includes(snippet.body), `${where}: its code is not in ${s.example} (edit both, or neither)`);
  for (const imp of snippet.imports) {
    for (const name of imp.names) {
      const source = SOURCE_OF[imp.from];
      const ok = file.imports.some((f) => f.names.includes(name) && (source === undefined || f.from === source));
      assert.ok(ok, `${where}: ${s.example} does not import ${name}${source ? ` from ${source}` : ''}`);
    }
  }
}

describe('documentation snippets are the examples', () => {
  test('README.md: every TypeScript snippet names its example and is in it', () => {
    const snippets = tsSnippets(readFileSync(`${root}README.md`, 'utf8'));
    assert.ok(snippets.length >= 2);
    for (const s of snippets) {
      assert.ok(s.example, `README.md:${s.line}: a TypeScript snippet without its examples/ file`);
      checkSnippet('README.md', s);
    }
  });

  test('docs/contributing.md: the snippets that name an example are in it', () => {
    const snippets = tsSnippets(readFileSync(`${root}docs/contributing.md`, 'utf8')).filter((s) => s.example);
    assert.deepEqual([...new Set(snippets.map((s) => s.example))].sort(), [
      'examples/custom-optimizer.ts',
      'examples/custom-penalty.ts',
    ]);
    for (const s of snippets) checkSnippet('docs/contributing.md', s);
  });
});
