/**
 * Starts the real Gatehouse for black-box tests: in-process (`startGatehouse`) with every listener
 * on port 0, or as a child process of the real `gatehouse` bin (`startGatehouseProcess`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type DeepPartial, type GatehouseConfig } from '../../packages/server/src/app/config.ts';
import type { Endpoints } from '../../packages/server/src/app/endpoints.ts';
import { startGatehouse as startServer, type RunningGatehouse } from '../../packages/server/src/app/serve.ts';
import type { Broker, BrokerFeatures, BrokerHooks, BrokerLimits } from '../../packages/server/src/broker/index.ts';
import { createLogger, silentLogger } from '../../packages/server/src/core/index.ts';

const listeners = ['mqtt', 'mqtts', 'ws', 'wss', 'admin'] as const;
type Listener = (typeof listeners)[number];

/** Every listener on loopback, port 0: tests never collide with each other or with Mosquitto on 1883. */
const testListenerSettings = listeners.flatMap((name) => [`listeners.${name}.port=0`, `listeners.${name}.host=127.0.0.1`]);
/**
 * The broker tests connect over every transport without credentials; identity tests turn this off
 * with `config: { listeners: { mqtts: { allowAnonymous: false } } }` (settings given in `config` win).
 */
const anonymousTlsSettings = ['listeners.mqtts.allowAnonymous=true', 'listeners.wss.allowAnonymous=true'];
const testListenerFlags = [...testListenerSettings, ...anonymousTlsSettings].flatMap((setting) => ['--set', setting]);


export interface StartGatehouseOptions {
  /** Default `memory`. */
  readonly store?: 'memory' | 'sqlite';
  /** Use this home (kept on stop); default a new temporary directory, removed on stop. */
  readonly home?: string;
  readonly limits?: Partial<BrokerLimits>;
  readonly features?: Partial<BrokerFeatures>;
  /** Broker hooks (connect, publish, subscribe, enhanced authentication). */
  readonly hooks?: BrokerHooks;
  /** Any other settings; they win over the test defaults (port 0, loopback). */
  readonly config?: DeepPartial<GatehouseConfig>;
}

export interface TestGatehouse {
  /** URLs of the enabled listeners, e.g. `mqtt://127.0.0.1:40211`, `ws://127.0.0.1:40212/mqtt`. */
  readonly urls: Readonly<Record<Listener, string>>;
  readonly ports: Readonly<Record<Listener, number>>;
  /** The admin API's bearer key. */
  readonly adminKey: string;
  /** PEM of the CA that signed the server certificate (trust it for mqtts and wss). */
  readonly caPem: string;
  /** PEM of the CA's private key, to issue client certificates with `issueClientCertificate`; '' when it is kept encrypted (`pki.keySecretFile`). */
  readonly caKeyPem: string;
  readonly home: string;
  readonly broker: Broker;
  readonly running: RunningGatehouse;
  stop(): Promise<void>;
}

/**
 * Starts Gatehouse in this process. Logs are silent unless GATEHOUSE_TEST_LOG_LEVEL is set.
 *
 * @example
 * const gh = await startGatehouse({ limits: { maxInflight: 5 } });
 * const client = await mqtt.connectAsync(gh.urls.mqtt);
 * await client.endAsync();
 * await gh.stop();
 */
export async function startGatehouse(options: StartGatehouseOptions = {}): Promise<TestGatehouse> {
  const home = options.home ?? (await mkdtemp(join(tmpdir(), 'gatehouse-test-')));
  const removeHome = options.home === undefined;
  try {
    const config = options.config ?? {};
    const { config: effective, explicitPorts } = await loadConfig({
      env: {},
      cwd: home,
      flags: { home, set: [...testListenerSettings, ...anonymousTlsSettings, `store.kind=${options.store ?? 'memory'}`] },
      overrides: {
        ...config,
        limits: { ...config.limits, ...options.limits },
        features: { ...config.features, ...options.features },
      },
    });
    const level = process.env['GATEHOUSE_TEST_LOG_LEVEL'];
    const logger = level === undefined || level === '' ? silentLogger() : createLogger({ level, destination: process.stderr });
    const running = await startServer(effective, { explicitPorts, logger, banner: false, ...(options.hooks === undefined ? {} : { hooks: options.hooks }) });
    const pki = running.firstRun.pki;
    const [caPem, caKeyPem] = await Promise.all([readFile(effective.tls.ca, 'utf8'), pki === undefined || pki.caKeyIsEncrypted ? '' : readFile(pki.caKey, 'utf8')]);
    const urls = {} as Record<Listener, string>;
    const ports = {} as Record<Listener, number>;
    for (const name of listeners) {
      const url = running.endpoints[name];
      const address = running.addresses[name];
      if (url !== undefined) urls[name] = url;
      if (address !== undefined) ports[name] = address.port;
    }
    let stopped: Promise<void> | undefined;
    return {
      urls,
      ports,
      adminKey: running.firstRun.adminKey,
      caPem,
      caKeyPem,
      home,
      broker: running.broker,
      running,
      stop: () =>
        (stopped ??= (async () => {
          await running.close();
          if (removeHome) await rm(home, { recursive: true, force: true });
        })()),
    };
  } catch (error) {
    if (removeHome) await rm(home, { recursive: true, force: true });
    throw error;
  }
}

export interface GatehouseProcess {
  readonly child: ChildProcess;
  readonly endpoints: Endpoints;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Sends `signal` (default SIGTERM) and resolves with how the process ended. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const binPath = fileURLToPath(new URL('../../packages/server/bin/gatehouse.js', import.meta.url));

/**
 * Spawns the real `gatehouse serve` with every listener on port 0, and resolves once it has written
 * a fresh `<home>/endpoints.json` (the file is deleted first, so an old one never counts).
 *
 * @example
 * const gh = await startGatehouseProcess({ home, args: ['--set', 'store.kind=sqlite'] });
 * await gh.stop('SIGKILL');
 */
export async function startGatehouseProcess(options: { home: string; env?: NodeJS.ProcessEnv; args?: readonly string[]; timeoutMs?: number }): Promise<GatehouseProcess> {
  const endpointsFile = join(options.home, 'endpoints.json');
  await rm(endpointsFile, { force: true });
  const child = spawn(process.execPath, [binPath, 'serve', '--home', options.home, ...testListenerFlags, ...(options.args ?? [])], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    // The last 256 KiB are plenty to explain a failure.
    output = (output + chunk.toString('utf8')).slice(-256 * 1024);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  // A spawn failure also shows as the process not writing endpoints.json; keep it from going unhandled.
  exited.catch(() => {});

  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  let endpoints: Endpoints | undefined;
  while (endpoints === undefined) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`gatehouse serve exited (${child.exitCode ?? child.signalCode}) before writing ${endpointsFile}:\n${output}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`gatehouse serve did not write ${endpointsFile} in time:\n${output}`);
    }
    try {
      endpoints = JSON.parse(await readFile(endpointsFile, 'utf8')) as Endpoints;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    child,
    endpoints,
    output: () => output,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const [code, endSignal] = await exited;
      return { code, signal: endSignal };
    },
  };
}
