/**
 * mirror-operator's operator-wide settings (its Deployment's environment), read by the reconciler with the
 * same names and formats, as defaults for every RegistryMirror (ours and mirror-operator's files alike). A
 * manifest's own field wins over the setting; labels are merged, the manifest's keys last.
 *
 * | variable | format (as mirror-operator read it) | RegistryMirror field |
 * |---|---|---|
 * | SS_DS_LABELS | Python/JSON dict literal (ast.literal_eval) | labels |
 * | SS_DS_TEMPLATE_LABELS | dict literal | podLabels |
 * | SS_DS_TOLERATIONS | list literal of toleration dicts | tolerations (StatefulSet and node DaemonSet) |
 * | IMAGE_PULL_SECRETS | names separated by `,` | imagePullSecrets |
 * | CA_CERTIFICATE_BUNDLE | a ConfigMap name | upstreamCaConfigMap |
 * | ADDRESSING_SCHEME | `hostess` (default for mirror-operator's files); ours also `containerd`, `none` | nodeConfig |
 * | DOCKER_CERTIFICATE_SECRET | a `kubernetes.io/tls` Secret name | tls.secretName |
 *
 * The Secrets and ConfigMap they name live in each mirror's namespace; a Secret must be labelled for
 * manifests like any Secret a RegistryMirror's pods use. Kept apart from settings.ts, which imports it.
 */

export type MirrorAddressing = 'containerd' | 'hosts' | 'none';

export interface MirrorOperatorSettings {
  labels?: Record<string, string>;
  podLabels?: Record<string, string>;
  tolerations?: Record<string, unknown>[];
  imagePullSecrets?: string[];
  upstreamCaConfigMap?: string;
  nodeConfig?: MirrorAddressing;
  tlsSecretName?: string;
}

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** A Python literal as ast.literal_eval reads it, for the shapes mirror-operator's settings take. */
export function parsePythonLiteral(text: string): unknown {
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`${what} at character ${i + 1}`);
  };
  const blank = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const value = (): unknown => {
    blank();
    const c = text[i];
    if (c === '{') return dict();
    if (c === '[' || c === '(') return list(c === '[' ? ']' : ')');
    if (c === '"' || c === "'") return string(c);
    const word = /^(True|False|None|-?\d+(\.\d+)?)/.exec(text.slice(i));
    if (!word) return fail('expected a value');
    i += word[0].length;
    if (word[0] === 'True') return true;
    if (word[0] === 'False') return false;
    if (word[0] === 'None') return null;
    return Number(word[0]);
  };
  const string = (quote: string): string => {
    i++;
    let out = '';
    while (i < text.length && text[i] !== quote) {
      if (text[i] === '\\') {
        i++;
        const e = text[i];
        out += e === 'n' ? '\n' : e === 't' ? '\t' : (e ?? '');
      } else out += text[i];
      i++;
    }
    if (text[i] !== quote) fail('unterminated string');
    i++;
    return out;
  };
  const separated = (close: string, item: () => void) => {
    i++;
    blank();
    while (text[i] !== close) {
      item();
      blank();
      if (text[i] === ',') {
        i++;
        blank();
      } else if (text[i] !== close) fail(`expected "," or "${close}"`);
    }
    i++;
  };
  const list = (close: string): unknown[] => {
    const out: unknown[] = [];
    separated(close, () => out.push(value()));
    return out;
  };
  const dict = (): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    separated('}', () => {
      const key = value();
      blank();
      if (text[i] !== ':') fail('expected ":"');
      i++;
      out[String(key)] = value();
    });
    return out;
  };
  const result = value();
  blank();
  if (i < text.length) fail('unexpected text');
  return result;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringMap(
  env: Record<string, string | undefined>,
  name: string,
): Record<string, string> | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  let parsed: unknown;
  try {
    parsed = parsePythonLiteral(raw);
  } catch (error) {
    throw new Error(`${name}: not a dict literal (${(error as Error).message}), e.g. {"team": "infra"}`);
  }
  if (!isPlainObject(parsed) || !Object.values(parsed).every((v) => typeof v === 'string'))
    throw new Error(`${name}: labels must map names to strings, e.g. {"team": "infra"}`);
  return Object.keys(parsed).length ? (parsed as Record<string, string>) : undefined;
}

function tolerations(env: Record<string, string | undefined>): Record<string, unknown>[] | undefined {
  const raw = env.SS_DS_TOLERATIONS?.trim();
  if (!raw) return undefined;
  let parsed: unknown;
  try {
    parsed = parsePythonLiteral(raw);
  } catch (error) {
    throw new Error(`SS_DS_TOLERATIONS: not a list literal (${(error as Error).message})`);
  }
  if (!Array.isArray(parsed) || !parsed.every(isPlainObject))
    throw new Error('SS_DS_TOLERATIONS: a list of tolerations, e.g. [{"operator": "Exists"}]');
  // mirror-operator built V1Toleration(**t): its Python names (toleration_seconds) or the API's.
  const renamed = parsed.map((t) =>
    Object.fromEntries(
      Object.entries(t)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => [k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()), v]),
    ),
  );
  return renamed.length ? renamed : undefined;
}

function name(env: Record<string, string | undefined>, variable: string): string | undefined {
  const raw = env[variable]?.trim();
  if (!raw) return undefined;
  if (!NAME.test(raw)) throw new Error(`${variable}: "${raw}" is not an object name`);
  return raw;
}

function addressing(raw: string | undefined): MirrorAddressing | undefined {
  const value = raw?.trim();
  if (!value) return undefined;
  if (value === 'hostess' || value === 'hosts') return 'hosts';
  if (value === 'containerd' || value === 'none') return value;
  if (value === 'services')
    throw new Error(
      'ADDRESSING_SCHEME: "services" (ImageSwap rewriting pod images) is not supported: use containerd (nodes pull through the mirror with no image change) or hostess',
    );
  throw new Error(`ADDRESSING_SCHEME: "${value}" is not hostess, containerd or none`);
}

/** The settings from the environment; throws (a configuration error at start) on a malformed value. */
export function mirrorOperatorSettings(env: Record<string, string | undefined>): MirrorOperatorSettings {
  const settings: MirrorOperatorSettings = {};
  const labels = stringMap(env, 'SS_DS_LABELS');
  if (labels) settings.labels = labels;
  const podLabels = stringMap(env, 'SS_DS_TEMPLATE_LABELS');
  if (podLabels) settings.podLabels = podLabels;
  const toleration = tolerations(env);
  if (toleration) settings.tolerations = toleration;
  const secrets = (env.IMAGE_PULL_SECRETS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const secret of secrets)
    if (!NAME.test(secret)) throw new Error(`IMAGE_PULL_SECRETS: "${secret}" is not a Secret name`);
  if (secrets.length) settings.imagePullSecrets = secrets;
  const ca = name(env, 'CA_CERTIFICATE_BUNDLE');
  if (ca) settings.upstreamCaConfigMap = ca;
  const scheme = addressing(env.ADDRESSING_SCHEME);
  if (scheme) settings.nodeConfig = scheme;
  const tls = name(env, 'DOCKER_CERTIFICATE_SECRET');
  if (tls) settings.tlsSecretName = tls;
  return settings;
}
