/**
 * Registry answers are other people's data: each JSON body the client reads is checked against a schema of
 * what it uses before anything is taken from it (a tag "list" that is a string, a token that is a number, an
 * index whose children have no digest are refused with a message, never iterated or passed on).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

/** `sha256:<64 hex>` or `sha512:<128 hex>`: what the code passes on to skopeo and compares. */
export const DIGEST_PATTERN = '^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$';
const DIGEST = new RegExp(DIGEST_PATTERN);

export function isDigest(text: string): boolean {
  return DIGEST.test(text);
}

const tagList = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    tags: { anyOf: [{ type: 'null' }, { type: 'array', items: { type: 'string' } }] },
  },
};

const platform = {
  type: 'object',
  properties: {
    os: { type: 'string' },
    architecture: { type: 'string' },
    variant: { type: 'string' },
  },
};

const manifest = {
  type: 'object',
  properties: {
    schemaVersion: { type: 'integer' },
    mediaType: { type: 'string' },
    manifests: {
      type: 'array',
      items: {
        type: 'object',
        required: ['digest'],
        properties: {
          digest: { type: 'string', pattern: DIGEST_PATTERN },
          mediaType: { type: 'string' },
          platform,
        },
      },
    },
    config: {
      type: 'object',
      required: ['digest'],
      properties: { digest: { type: 'string', pattern: DIGEST_PATTERN } },
    },
  },
};

/** An image's config blob, for what is read of it: when it was made. */
const imageConfig = {
  type: 'object',
  properties: { created: { type: 'string', maxLength: 64 } },
};

const token = {
  type: 'object',
  anyOf: [{ required: ['token'] }, { required: ['access_token'] }],
  properties: {
    token: { type: 'string', minLength: 1, maxLength: 65536 },
    access_token: { type: 'string', minLength: 1, maxLength: 65536 },
    expires_in: { type: 'number', minimum: 0 },
  },
};

export interface TagListAnswer {
  name?: string;
  tags?: string[] | null;
}
export interface ManifestAnswer {
  schemaVersion?: number;
  mediaType?: string;
  manifests?: Array<{
    digest: string;
    mediaType?: string;
    platform?: { os?: string; architecture?: string; variant?: string };
  }>;
  config?: { digest: string };
}
export interface ImageConfigAnswer {
  created?: string;
}
export interface TokenAnswer {
  token?: string;
  access_token?: string;
  expires_in?: number;
}

const ajv = new Ajv({ allErrors: false, strict: false });
const validators = {
  tagList: ajv.compile(tagList),
  manifest: ajv.compile(manifest),
  token: ajv.compile(token),
  imageConfig: ajv.compile(imageConfig),
} satisfies Record<string, ValidateFunction>;

interface Answers {
  tagList: TagListAnswer;
  manifest: ManifestAnswer;
  token: TokenAnswer;
  imageConfig: ImageConfigAnswer;
}

const NAMES: Record<keyof Answers, string> = {
  tagList: 'tag list',
  manifest: 'manifest',
  token: 'token response',
  imageConfig: 'image config',
};

function describe(errors: ErrorObject[] | null | undefined): string {
  const first = errors?.[0];
  if (!first) return 'unexpected shape';
  return `${first.instancePath || '(the body)'} ${first.message ?? 'is not as expected'}`;
}

/**
 * Parses a JSON body and checks it against the schema of `kind`; throws an Error naming `what` and the first
 * mismatch. The caller wraps it into its own error type.
 */
export function parseAnswer<K extends keyof Answers>(kind: K, body: Buffer, what: string): Answers[K] {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new Error(`${what}: the ${NAMES[kind]} is not JSON`);
  }
  const validate = validators[kind];
  if (!validate(value)) {
    throw new Error(`${what}: the ${NAMES[kind]} is not valid (${describe(validate.errors)}): refused`);
  }
  return value as Answers[K];
}
