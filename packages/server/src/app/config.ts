/**
 * Loading the configuration: defaults < YAML/JSON file < environment < flags, validated against
 * one TypeBox schema. Every error names the setting, what was expected, and where the value came from.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { stringify as toYaml } from 'yaml';
import { configError, describeExpected, formatValue } from './config-errors.js';
import { ConfigSchema, defaultConfig, defaultHome, listenerNames, type GatehouseConfig, type ListenerName } from './config-schema.js';
import { trustedSourceList } from '../transport/index.js';
import { checkKnownKeys, isPlainObject, readConfigFile, readEnvironment, readFlags, type ConfigLayer, type PlainObject } from './config-sources.js';

export { ConfigSchema, defaultConfig, listenerNames, type GatehouseConfig, type ListenerName } from './config-schema.js';

/** A configuration where any key may be left out. */
export type DeepPartial<T> = { [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] };

export interface ConfigInputs {
  /** Command-line flags: `--home`, `--config`, and repeatable `--set key.path=value`. */
  readonly flags?: { readonly home?: string | undefined; readonly config?: string | undefined; readonly set?: readonly string[] | undefined };
  /** Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** Relative paths resolve against this; default `process.cwd()`. */
  readonly cwd?: string;
  /** Settings applied over everything else, for embedding and tests. */
  readonly overrides?: DeepPartial<GatehouseConfig>;
}

export interface LoadedConfig {
  readonly config: GatehouseConfig;
  /** Listeners whose port some source set, as opposed to the default; only defaults fall back when taken. */
  readonly explicitPorts: ReadonlySet<ListenerName>;
  /** The file that was read, if any. */
  readonly file?: string;
}

/**
 * Builds the effective configuration from every source.
 *
 * @example
 * const { config, explicitPorts } = await loadConfig({ flags: { set: ['listeners.mqtt.port=1884'] } });
 */
export async function loadConfig(inputs: ConfigInputs = {}): Promise<LoadedConfig> {
  const env = inputs.env ?? process.env;
  const cwd = inputs.cwd ?? process.cwd();
  const envLayer = readEnvironment(env);
  const flagLayer = readFlags(inputs.flags ?? {});
  const overrideLayer: ConfigLayer | undefined =
    inputs.overrides === undefined ? undefined : { source: 'the overrides', value: structuredClone(inputs.overrides) as PlainObject };
  if (overrideLayer !== undefined) checkKnownKeys(overrideLayer.value, overrideLayer.source);

  const homeFrom = (layers: ReadonlyArray<ConfigLayer | undefined>): string | undefined => {
    for (const layer of [...layers].reverse()) {
      const home = layer?.value['home'];
      if (typeof home === 'string' && home !== '') return home;
    }
    return undefined;
  };
  // The default file lives in home, so home is settled before the file is looked for, and again
  // after, since the file may set it too (env and flags still win).
  const homeBeforeFile = resolve(cwd, homeFrom([envLayer, flagLayer, overrideLayer]) ?? defaultHome);
  const explicitFile = inputs.flags?.config ?? nonEmpty(env['GATEHOUSE_CONFIG']);
  const defaultFile = join(homeBeforeFile, 'gatehouse.yaml');
  const filePath = explicitFile !== undefined ? resolve(cwd, explicitFile) : existsSync(defaultFile) ? defaultFile : undefined;
  const fileLayer = filePath === undefined ? undefined : await readConfigFile(filePath);

  const layers = [fileLayer, envLayer, flagLayer, overrideLayer].filter((l): l is ConfigLayer => l !== undefined);
  const home = resolve(cwd, homeFrom(layers) ?? defaultHome);
  const origins = new Map<string, string>();
  const merged = defaultConfig(home) as unknown as PlainObject;
  for (const layer of layers) mergeInto(merged, layer, [], origins);
  merged['home'] = home;

  validate(merged, origins);
  const config = merged as unknown as GatehouseConfig;
  checkCombinations(config, origins);
  const resolvedPaths: GatehouseConfig = {
    ...config,
    store: { ...config.store, path: config.store.path === ':memory:' ? config.store.path : resolve(cwd, config.store.path) },
    tls: { ...config.tls, ca: resolve(cwd, config.tls.ca), cert: resolve(cwd, config.tls.cert), key: resolve(cwd, config.tls.key) },
    auth: {
      ...config.auth,
      ...(config.auth.passwordsFile === undefined ? {} : { passwordsFile: resolve(cwd, config.auth.passwordsFile) }),
      authorizers: config.auth.authorizers.map((authorizer) => ({ ...authorizer, keysFile: resolve(cwd, authorizer.keysFile) })),
    },
  };

  const explicitPorts = new Set<ListenerName>(listenerNames.filter((name) => origins.has(`listeners.${name}.port`)));
  return { config: resolvedPaths, explicitPorts, ...(filePath === undefined ? {} : { file: filePath }) };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** Deep-merges plain objects; arrays and leaves replace. Records which source set each leaf. */
function mergeInto(target: PlainObject, layer: ConfigLayer, path: string[], origins: Map<string, string>, value: PlainObject = layer.value): void {
  for (const [key, child] of Object.entries(value)) {
    const childPath = [...path, key];
    const existing = target[key];
    if (isPlainObject(child) && isPlainObject(existing)) {
      mergeInto(existing, layer, childPath, origins, child);
    } else {
      target[key] = child;
      const dotted = childPath.join('.');
      origins.set(dotted, layer.origins?.get(dotted) ?? layer.source);
    }
  }
}

function validate(merged: PlainObject, origins: ReadonlyMap<string, string>): void {
  const first = Value.Errors(ConfigSchema, merged).First();
  if (first === undefined) return;
  const segments = first.path.split('/').filter((s) => s.length > 0);
  const dotted = segments.join('.');
  if (first.value === undefined) throw configError(`Setting "${dotted}" is required: it must be ${describeExpected(first.schema as TSchema)}`);
  throw configError(`Setting "${dotted}" must be ${describeExpected(first.schema as TSchema)}, got ${formatValue(first.value)}`, origins.get(dotted) ?? originOfParent(segments, origins));
}

function originOfParent(segments: readonly string[], origins: ReadonlyMap<string, string>): string | undefined {
  for (let i = segments.length - 1; i > 0; i--) {
    const origin = origins.get(segments.slice(0, i).join('.'));
    if (origin !== undefined) return origin;
  }
  return undefined;
}

/** Rules that span settings, which the schema cannot say. */
function checkCombinations(config: GatehouseConfig, origins: ReadonlyMap<string, string>): void {
  if (config.store.kind === 'postgres' && config.store.url === undefined) {
    throw configError('Setting "store.url" is required when store.kind is "postgres" (e.g. postgres://user@127.0.0.1:5432/gatehouse)', origins.get('store.kind'));
  }
  const taken = new Map<string, ListenerName>();
  for (const name of listenerNames) {
    const listener = config.listeners[name];
    if (!listener.enabled || listener.port === 0) continue;
    const key = `${listener.host}:${listener.port}`;
    const other = taken.get(key);
    if (other !== undefined) {
      throw configError(`Settings "listeners.${other}.port" and "listeners.${name}.port" are both ${listener.port} on ${listener.host}; give each listener its own port`);
    }
    taken.set(key, name);
  }
  for (const name of proxyListenerNames) {
    const { enabled, trustedSources } = config.listeners[name].proxyProtocol;
    const setting = `listeners.${name}.proxyProtocol.trustedSources`;
    if (enabled && trustedSources.length === 0) {
      throw configError(`Setting "${setting}" must name the load balancers' addresses (e.g. 10.0.0.0/8) when the PROXY protocol is enabled`, origins.get(`listeners.${name}.proxyProtocol.enabled`));
    }
    try {
      trustedSourceList(trustedSources);
    } catch (error) {
      throw configError(`Setting "${setting}": ${(error as Error).message}`, origins.get(setting));
    }
  }
}

/** The listeners that carry MQTT and so may sit behind a balancer speaking the PROXY protocol. */
const proxyListenerNames = ['mqtt', 'mqtts', 'ws', 'wss'] as const;

/** The effective configuration as YAML, with secrets (a database password) elided. */
export function configToYaml(config: GatehouseConfig): string {
  const shown: GatehouseConfig = config.store.url === undefined ? config : { ...config, store: { ...config.store, url: elidePassword(config.store.url) } };
  return toYaml(shown);
}

function elidePassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === '') return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    // Not a URL (a libpq keyword string, say): it may hold a password anywhere.
    return '(set; not shown)';
  }
}
