import { type Document, isMap, isPair, isScalar, LineCounter, type Node, parseAllDocuments } from 'yaml';
import type { Problem, SourceLocation } from '../core/errors.js';
import type { SourceFile } from './types.js';

/** One YAML document of a file, with what is needed to point at any of its fields. */
export interface ParsedDocument {
  file: string;
  /** 1-based line where the document starts. */
  line: number;
  value: unknown;
  locate(path: readonly (string | number)[]): SourceLocation;
}

export interface ParsedFile {
  documents: ParsedDocument[];
  problems: Problem[];
}

/** Alias expansion bound: a few aliases are normal, a billion laughs is not. */
const MAX_ALIAS_COUNT = 100;

export function isManifestFile(path: string): boolean {
  return /\.ya?ml$/i.test(path);
}

/** Parses every document of a file; syntax errors are Problems located at their line and column. */
export function parseManifestFile(file: SourceFile): ParsedFile {
  const lineCounter = new LineCounter();
  const documents: ParsedDocument[] = [];
  const problems: Problem[] = [];
  const docs = parseAllDocuments(file.content, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const all = Array.isArray(docs) ? docs : [docs];
  for (const doc of all) {
    if (doc.errors.length > 0) {
      for (const error of doc.errors) {
        const pos = lineCounter.linePos(error.pos[0]);
        problems.push({
          code: 'YAML_PARSE',
          message: `YAML syntax: ${error.message.split('\n')[0]}`,
          location: { file: file.path, line: pos.line, column: pos.col },
        });
      }
      continue;
    }
    // An empty or comment-only document (`---` twice in a row) parses as a null scalar with no source text.
    if (
      doc.contents === null ||
      (isScalar(doc.contents) && doc.contents.value === null && !doc.contents.source)
    )
      continue;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      const start = doc.contents.range?.[0] ?? 0;
      const pos = lineCounter.linePos(start);
      problems.push({
        code: 'YAML_PARSE',
        message: `YAML: ${(error as Error).message}`,
        location: { file: file.path, line: pos.line, column: pos.col },
      });
      continue;
    }
    const start = lineCounter.linePos(doc.contents.range?.[0] ?? 0);
    documents.push({
      file: file.path,
      line: start.line,
      value,
      locate: (path) => locateInDocument(doc, lineCounter, file.path, path),
    });
  }
  return { documents, problems };
}

/**
 * The position of the deepest existing node on `path`: a missing field is reported where its parent is.
 * A path ending in a map key that exists points at the key itself, which reads best in an editor.
 */
function locateInDocument(
  doc: Document,
  lineCounter: LineCounter,
  file: string,
  path: readonly (string | number)[],
): SourceLocation {
  const field = path.length > 0 ? `/${path.join('/')}` : undefined;
  for (let depth = path.length; depth >= 0; depth--) {
    const prefix = path.slice(0, depth);
    const node = (prefix.length === 0 ? doc.contents : doc.getIn(prefix, true)) as Node | undefined;
    if (!node?.range) continue;
    let offset = node.range[0];
    if (depth > 0 && depth === path.length) {
      const parent = (depth === 1 ? doc.contents : doc.getIn(path.slice(0, depth - 1), true)) as
        | Node
        | undefined;
      const key = path[depth - 1];
      if (parent && isMap(parent)) {
        const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
        if (pair && isScalar(pair.key) && pair.key.range) offset = pair.key.range[0];
      }
    }
    const pos = lineCounter.linePos(offset);
    return field
      ? { file, line: pos.line, column: pos.col, field }
      : { file, line: pos.line, column: pos.col };
  }
  return field ? { file, field } : { file };
}
