/**
 * A YAML configuration file read as located nodes, so that every problem names the file and the line of
 * the value it is about. Readers ask for typed values at a path and collect problems instead of stopping
 * at the first, as the environment reader does. A problem never quotes a value unless the caller says it
 * may (names and region codes, never anything that could be a pasted key).
 */
import { createRequire } from 'node:module';
import type { LineCounter, Node, YAMLMap, YAMLSeq } from 'yaml';

type YamlModule = typeof import('yaml');
let yamlModule: YamlModule | undefined;

/**
 * The `yaml` package, loaded the first time a file is read: the bot configured by environment alone
 * (no COSJOB_CONFIG) never parses YAML, so it does not carry the parser in memory. `require` keeps
 * loadConfig synchronous; on Node, `import 'yaml'` resolves to this same CommonJS build (dist/index.js).
 */
function yaml(): YamlModule {
  yamlModule ??= createRequire(import.meta.url)('yaml') as YamlModule;
  return yamlModule;
}

export interface FileProblem {
  file: string;
  /** 1-based; 0 when the problem is about the file as a whole. */
  line: number;
  /** Where in the document, e.g. `accounts[1].regions[0]`. */
  path: string;
  text: string;
}

export function formatFileProblem(problem: FileProblem): string {
  const at = problem.line > 0 ? `${problem.file}:${problem.line}` : problem.file;
  return problem.path === '' ? `${at}: ${problem.text}` : `${at}: ${problem.path} ${problem.text}`;
}

/** A node and the document path that reached it. */
export interface Located {
  node: Node;
  path: string;
}

export class YamlFile {
  readonly problems: FileProblem[] = [];
  readonly warnings: FileProblem[] = [];
  readonly root: Located | undefined;
  private readonly lines: LineCounter = new (yaml().LineCounter)();

  constructor(
    readonly file: string,
    private readonly text: string,
  ) {
    // prettyErrors is off: its messages quote the offending source line, which may hold a pasted secret.
    const document = yaml().parseDocument(text, {
      lineCounter: this.lines,
      prettyErrors: false,
      uniqueKeys: true,
    });
    for (const error of [...document.errors, ...document.warnings]) {
      const line = error.linePos?.[0]?.line ?? this.lineAt(error.pos[0]);
      const list = error.name === 'YAMLWarning' ? this.warnings : this.problems;
      list.push({
        file,
        line,
        path: '',
        text: `is not valid YAML: ${yamlErrorText(error.message, error.code)}`,
      });
    }
    const contents = document.contents;
    this.root = contents === null ? undefined : { node: contents as Node, path: '' };
  }

  lineAt(offset: number): number {
    return this.lines.linePos(offset).line;
  }

  lineOf(node: Node | null | undefined): number {
    const start = node?.range?.[0];
    return start === undefined ? 0 : this.lineAt(start);
  }

  problem(at: Located, text: string): void {
    this.problems.push({ file: this.file, line: this.lineOf(at.node), path: at.path, text });
  }

  warn(at: Located, text: string): void {
    this.warnings.push({ file: this.file, line: this.lineOf(at.node), path: at.path, text });
  }

  /** The mapping at `at`, or a problem saying what was expected. */
  map(at: Located, what: string): YAMLMap<unknown, unknown> | undefined {
    if (yaml().isMap(at.node)) return at.node;
    this.problem(at, `must be a mapping (key: value lines): ${what}`);
    return undefined;
  }

  /** The items of the list at `at`, each located. */
  seq(at: Located, what: string): Located[] | undefined {
    if (!yaml().isSeq(at.node)) {
      this.problem(at, `must be a list (lines starting with "- "): ${what}`);
      return undefined;
    }
    return (at.node as YAMLSeq<unknown>).items.map((item, index) => ({
      node: asNode(item, at.node),
      path: `${at.path}[${index}]`,
    }));
  }

  /**
   * The entries of a mapping, each key checked against `known`: an unknown key is a problem that names
   * the key (never its value) and the keys allowed.
   */
  entries(at: Located, map: YAMLMap<unknown, unknown>, known: readonly string[]): Map<string, Located> {
    const found = new Map<string, Located>();
    for (const pair of map.items) {
      const keyNode = asNode(pair.key, at.node);
      const key = yaml().isScalar(keyNode) ? String(keyNode.value) : '';
      const path = at.path === '' ? key : `${at.path}.${key}`;
      if (!known.includes(key)) {
        this.problem(
          { node: keyNode, path: at.path === '' ? '(top level)' : at.path },
          `has an unknown key ${JSON.stringify(key.slice(0, 40))}: expected ${known.join(', ')}`,
        );
        continue;
      }
      found.set(key, { node: asNode(pair.value, keyNode), path });
    }
    return found;
  }

  /**
   * A scalar's text as written: numbers keep their digits (a 20-digit UIN must not pass through a
   * double), booleans and null are refused where text is wanted.
   */
  scalarText(at: Located): string | undefined {
    const node = at.node;
    if (!yaml().isScalar(node)) return undefined;
    if (typeof node.value === 'string') return node.value;
    if (typeof node.value === 'number' || typeof node.value === 'bigint') {
      const range = node.range;
      return range === undefined || range === null
        ? String(node.value)
        : this.text.slice(range[0], range[1]).trim();
    }
    return undefined;
  }

  string(at: Located, what: string): string | undefined {
    const value = this.scalarText(at)?.trim();
    if (value === undefined || value === '') {
      this.problem(at, `must be ${what}`);
      return undefined;
    }
    return value;
  }

  integer(at: Located, min: number, max: number): number | undefined {
    const node = at.node;
    if (yaml().isScalar(node) && typeof node.value === 'number' && Number.isInteger(node.value)) {
      if (node.value >= min && node.value <= max) return node.value;
    }
    this.problem(at, `must be a whole number from ${min} to ${max}`);
    return undefined;
  }

  boolean(at: Located): boolean | undefined {
    const node = at.node;
    if (yaml().isScalar(node) && typeof node.value === 'boolean') return node.value;
    this.problem(at, 'must be true or false');
    return undefined;
  }

  /**
   * Each item of a list read by `read`, keeping the first of any name that repeats (the repeat is a
   * problem naming the line of the first). `what` is "account" or "rule".
   */
  uniquelyNamed<T extends { name: string }>(
    items: readonly Located[],
    what: string,
    read: (item: Located) => T | undefined,
  ): { item: Located; value: T }[] {
    const firstLine = new Map<string, number>();
    const kept: { item: Located; value: T }[] = [];
    for (const item of items) {
      const value = read(item);
      if (value === undefined) continue;
      const first = firstLine.get(value.name);
      if (first !== undefined) {
        this.problem(
          item,
          `repeats the ${what} name ${JSON.stringify(value.name)} of line ${first}: names must be unique`,
        );
        continue;
      }
      firstLine.set(value.name, this.lineOf(item.node));
      kept.push({ item, value });
    }
    return kept;
  }

  /** A list of strings, or one string taken as a list of one. */
  strings(at: Located, what: string): Located[] | undefined {
    if (yaml().isScalar(at.node)) return [at];
    return this.seq(at, what);
  }
}

/**
 * yaml's message without the source it quotes: some messages end with the offending text after ": "
 * ("Block scalar header includes extra characters: |<the rest of the line>"), which may be a pasted key.
 */
function yamlErrorText(message: string, code: string): string {
  const general = message.split('\n')[0]!.split(': ')[0]!.slice(0, 160);
  return `${general} (${code})`;
}

/**
 * A pair's key or value as a node. `key:` with nothing after it gives a null value with no node of its
 * own; problems about it are placed at the key (`fallback`).
 */
function asNode(value: unknown, fallback: Node): Node {
  if (value !== null && typeof value === 'object' && 'range' in value) return value as Node;
  return { range: fallback.range } as Node;
}
