/**
 * Reads configuration layers from a YAML/JSON file, the environment and `--set` flags into plain
 * objects shaped like the schema, rejecting unknown keys with the source that used them.
 */
import { readFile } from 'node:fs/promises';
import type { TObject, TSchema } from '@sinclair/typebox';
import { parse as parseYaml } from 'yaml';
import { configError, describeExpected, formatValue, keyPath, unknownSettingError } from './config-errors.js';
import { ConfigSchema } from './config-schema.js';

export type PlainObject = { [key: string]: unknown };

/** One source of settings; `source` is how messages name it (a file path, an env var, `--set`). */
export interface ConfigLayer {
  readonly source: string;
  readonly value: PlainObject;
  /** Per leaf key path, the exact origin, when finer than `source` (one env var, one --set). */
  readonly origins?: ReadonlyMap<string, string>;
}

/** Environment variables with a short name, and the setting each stands for. */
const namedEnv: Readonly<Record<string, readonly string[]>> = {
  GATEHOUSE_HOME: ['home'],
  GATEHOUSE_LOG_LEVEL: ['log', 'level'],
  GATEHOUSE_STORE: ['store', 'kind'],
  GATEHOUSE_STORE_URL: ['store', 'url'],
};

export function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isObjectSchema(schema: TSchema): schema is TObject {
  return schema.type === 'object' && isPlainObject(schema.properties);
}

/**
 * Follows `segments` through the schema, matching keys case-insensitively when asked, and returns
 * the canonical key names and the leaf schema. Throws an "Unknown setting" error naming the source.
 */
export function resolveKeyPath(segments: readonly string[], source: string, caseInsensitive: boolean): { path: string[]; schema: TSchema } {
  let schema: TSchema = ConfigSchema;
  const path: string[] = [];
  for (const segment of segments) {
    if (!isObjectSchema(schema)) throw configError(`Setting "${keyPath(path)}" has no sub-settings, so "${keyPath([...path, segment])}" is unknown`, source);
    const known = Object.keys(schema.properties);
    const key = caseInsensitive ? known.find((k) => k.toLowerCase() === segment.toLowerCase()) : known.find((k) => k === segment);
    if (key === undefined) throw unknownSettingError([...path, segment], known, source);
    path.push(key);
    schema = schema.properties[key]!;
  }
  if (isObjectSchema(schema)) {
    throw configError(`Setting "${keyPath(path)}" is a group; set one of its keys (${Object.keys(schema.properties).join(', ')})`, source);
  }
  return { path, schema };
}

/** A string from the environment or a flag, as the leaf schema wants it: JSON when it parses, else the string. */
export function coerceValue(raw: string, schema: TSchema): unknown {
  const wantsString = schema.type === 'string' || (Array.isArray(schema.anyOf) && (schema.anyOf as TSchema[]).every((m) => m.type === 'string'));
  if (wantsString) return raw;
  if (schema.type === 'array' && !raw.trimStart().startsWith('[')) {
    return raw.split(',').map((item) => item.trim()).filter((item) => item.length > 0);
  }
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

export function setIn(target: PlainObject, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (isPlainObject(next)) node = next;
    else node = node[key] = {};
  }
  node[path.at(-1)!] = value;
}

/** Rejects keys the schema does not know, and objects where a value belongs (and the reverse). */
export function checkKnownKeys(value: PlainObject, source: string, schema: TObject = ConfigSchema, path: string[] = []): void {
  for (const [key, child] of Object.entries(value)) {
    const childSchema = schema.properties[key];
    if (childSchema === undefined) throw unknownSettingError([...path, key], Object.keys(schema.properties), source);
    if (isObjectSchema(childSchema)) {
      if (!isPlainObject(child)) {
        throw configError(`Setting "${keyPath([...path, key])}" must be ${describeExpected(childSchema)}, got ${formatValue(child)}`, source);
      }
      checkKnownKeys(child, source, childSchema, [...path, key]);
    }
  }
}

/** The layer of a YAML or JSON file (JSON is YAML too). */
export async function readConfigFile(path: string): Promise<ConfigLayer> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw configError(`Cannot read configuration file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw configError(`Cannot parse configuration file ${path}: ${(error as Error).message.split('\n')[0]}`);
  }
  if (value === null || value === undefined) value = {};
  if (!isPlainObject(value)) throw configError(`Configuration file ${path} must hold a map of settings, got ${formatValue(value)}`);
  checkKnownKeys(value, path);
  return { source: path, value };
}

/**
 * The environment layer: `GATEHOUSE_HOME`, `GATEHOUSE_LOG_LEVEL`, `GATEHOUSE_STORE`,
 * `GATEHOUSE_STORE_URL`, and `GATEHOUSE__A__B=v` for any setting `a.b` (keys case-insensitive).
 */
export function readEnvironment(env: NodeJS.ProcessEnv): ConfigLayer {
  const value: PlainObject = {};
  const origins = new Map<string, string>();
  const put = (name: string, segments: readonly string[], raw: string, caseInsensitive: boolean): void => {
    const { path, schema } = resolveKeyPath(segments, `environment variable ${name}`, caseInsensitive);
    setIn(value, path, coerceValue(raw, schema));
    origins.set(keyPath(path), `environment variable ${name}`);
  };
  for (const [name, segments] of Object.entries(namedEnv)) {
    const raw = env[name];
    if (raw !== undefined && raw !== '') put(name, segments, raw, false);
  }
  // Sorted so that the result does not depend on the environment's order.
  for (const name of Object.keys(env).filter((n) => n.startsWith('GATEHOUSE__')).sort()) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const segments = name.slice('GATEHOUSE__'.length).split('__');
    if (segments.some((s) => s.length === 0)) throw configError(`Environment variable ${name} has an empty key segment`);
    put(name, segments, raw, true);
  }
  return { source: 'the environment', value, origins };
}

/** The flags layer: `--home` and every `--set key.path=value`. */
export function readFlags(flags: { readonly home?: string | undefined; readonly set?: readonly string[] | undefined }): ConfigLayer {
  const value: PlainObject = {};
  const origins = new Map<string, string>();
  for (const assignment of flags.set ?? []) {
    const equals = assignment.indexOf('=');
    if (equals <= 0) throw configError(`--set "${assignment}" must look like key.path=value, e.g. listeners.mqtt.port=1884`);
    const source = `--set ${assignment}`;
    const { path, schema } = resolveKeyPath(assignment.slice(0, equals).trim().split('.'), source, true);
    setIn(value, path, coerceValue(assignment.slice(equals + 1), schema));
    origins.set(keyPath(path), source);
  }
  if (flags.home !== undefined) {
    value['home'] = flags.home;
    origins.set('home', '--home');
  }
  return { source: 'the command line', value, origins };
}
