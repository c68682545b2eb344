import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { schemasDir } from '../core/paths.js';

// ajv-formats is CommonJS: its default import is callable at run time, but typed as the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

export interface SchemaError {
  /** Path segments of the offending field, e.g. ['spec', 'source', 'image']. */
  path: (string | number)[];
  message: string;
}

/** Compiles each schema file once and reports errors with their field path and a readable message. */
export class SchemaValidator {
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly dir: string;

  constructor(dir = schemasDir()) {
    this.dir = dir;
    this.ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
    addFormats(this.ajv);
  }

  validate(schemaFile: string, value: unknown): SchemaError[] {
    const validate = this.compile(schemaFile);
    if (validate(value)) return [];
    return simplify(validate.errors ?? []).map(toSchemaError);
  }

  private compile(schemaFile: string): ValidateFunction {
    let fn = this.compiled.get(schemaFile);
    if (!fn) {
      const schema = JSON.parse(readFileSync(join(this.dir, schemaFile), 'utf8')) as object;
      fn = this.ajv.compile(schema);
      this.compiled.set(schemaFile, fn);
    }
    return fn;
  }
}

function pointerToPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/**
 * allErrors reports every branch of a oneOf/anyOf; a user needs the branch errors only when nothing more
 * precise was said about the same field.
 */
function simplify(errors: ErrorObject[]): ErrorObject[] {
  const precise = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf' && e.keyword !== 'if');
  const seen = new Set<string>();
  return (precise.length > 0 ? precise : errors).filter((e) => {
    const key = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function toSchemaError(error: ErrorObject): SchemaError {
  const path = pointerToPath(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { path: [...path, String(params.missingProperty)], message: `required field is missing` };
    case 'additionalProperties':
      return {
        path: [...path, String(params.additionalProperty)],
        message: `unknown field "${String(params.additionalProperty)}" (check its spelling and indentation)`,
      };
    case 'enum':
      return {
        path,
        message: `must be one of: ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      };
    case 'type':
      return { path, message: `must be ${String(params.type)}` };
    case 'pattern':
      return { path, message: `must match the pattern ${String(params.pattern)}` };
    case 'const':
      return { path, message: `must be ${JSON.stringify(params.allowedValue)}` };
    default:
      return { path, message: error.message ?? `fails ${error.keyword}` };
  }
}
