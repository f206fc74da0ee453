/**
 * Starts each broker under test as its own process on free loopback ports, and stops it. The
 * harness measures these processes from outside (/proc), so each broker is one pid.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { attachBenchPolicies, authorizationDenials, proveBenchPolicies } from './bench-policies.js';
import { gatehouseBenchSettings } from './gatehouse-limits.js';

/**
 * `gatehouse-policy` is the same Gatehouse app with `auth.anonymousPolicies=tenant-policies` and the
 * per-thing policy of bench-policies.ts attached to the default tenant before any client connects:
 * what the IoT policy checks cost, measured against `gatehouse` in the same run.
 */
export type BrokerName = 'gatehouse' | 'gatehouse-policy' | 'mosquitto' | 'aedes';
export const brokerNames: readonly BrokerName[] = ['gatehouse', 'gatehouse-policy', 'mosquitto', 'aedes'];

export interface BrokerOptions {
  /** A fresh directory the broker may write into. */
  readonly dir: string;
  /** Durable sessions: Gatehouse on SQLite, Mosquitto with persistence; Aedes keeps its default memory persistence. */
  readonly persistent: boolean;
  readonly tls: boolean;
  /** Self-signed certificate and key (PEM paths) for Mosquitto and Aedes; Gatehouse uses its own CA. */
  readonly certificate?: { readonly cert: string; readonly key: string };
  /** Extra arguments to `node` for Gatehouse, e.g. `--cpu-prof`. */
  readonly nodeArgs?: readonly string[];
}

export interface BrokerHandle {
  readonly name: BrokerName;
  readonly pid: number;
  readonly port: number;
  readonly tlsPort?: number;
  /** PEM of the CA a TLS client should trust. */
  readonly ca?: string;
  /** How it was started, for the report. */
  readonly description: string;
  /**
   * Figures the broker reports about itself after a scenario (Gatehouse: `authorizationDenied` from
   * its `/metrics`); the harness adds them to the scenario's metrics.
   */
  readonly afterRun?: () => Promise<Record<string, number>>;
  stop(): Promise<void>;
}

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const gatehouseBin = join(repoRoot, 'packages/server/bin/gatehouse.js');

export function startBroker(name: BrokerName, options: BrokerOptions): Promise<BrokerHandle> {
  switch (name) {
    case 'gatehouse':
      return startGatehouse(options);
    case 'gatehouse-policy':
      return startGatehouseApp(options, { policies: true });
    case 'mosquitto':
      return startMosquitto(options);
    case 'aedes':
      return startAedes(options);
    default: {
      const never: never = name;
      throw new TypeError(`Unknown broker ${String(never)}`);
    }
  }
}

/** Makes a self-signed P-256 certificate for 127.0.0.1 and localhost with openssl. */
export async function makeCertificate(dir: string): Promise<{ cert: string; key: string }> {
  await mkdir(dir, { recursive: true });
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  return { cert, key };
}

/** Gatehouse through its own CLI when `GATEHOUSE_BENCH_ENTRY` is unset and the CLI exists, else the bare-broker entry. */
async function startGatehouse(options: BrokerOptions): Promise<BrokerHandle> {
  if (process.env.GATEHOUSE_BENCH_ENTRY === undefined && existsSync(gatehouseBin)) {
    try {
      return await startGatehouseApp(options, { policies: false });
    } catch (error) {
      process.stderr.write(`bench: gatehouse serve did not start (${error instanceof Error ? error.message : String(error)}); using bench/brokers/gatehouse-entry.ts\n`);
    }
  }
  const entry = fileURLToPath(new URL('./gatehouse-entry.ts', import.meta.url));
  const args = [...(options.nodeArgs ?? []), '--import', 'tsx', entry, '--home', options.dir, '--store', options.persistent ? 'sqlite' : 'memory'];
  if (options.tls) args.push('--tls');
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  const line = await firstLine(child, 30_000);
  const ready = JSON.parse(line) as { port: number; tlsPort?: number; ca?: string };
  const ca = ready.ca === undefined ? undefined : await readFile(ready.ca, 'utf8');
  return handle('gatehouse', child, { port: ready.port, tlsPort: ready.tlsPort, ca, description: `bench/brokers/gatehouse-entry.ts (Broker on ${options.persistent ? 'SQLite' : 'memory'} store)` });
}

/**
 * `gatehouse serve` with the bench limits. Both variants run the admin listener (so `/metrics` can be
 * read after each scenario); they differ only in `auth.anonymousPolicies` and the attached policies.
 */
async function startGatehouseApp(options: BrokerOptions, variant: { readonly policies: boolean }): Promise<BrokerHandle> {
  const home = join(options.dir, 'home');
  await mkdir(home, { recursive: true });
  const sets = [
    'listeners.mqtt.port=0',
    'listeners.mqtt.host=127.0.0.1',
    `listeners.mqtts.enabled=${String(options.tls)}`,
    'listeners.mqtts.port=0',
    'listeners.mqtts.host=127.0.0.1',
    // Mosquitto and Aedes take the TLS storm without client certificates; so does Gatehouse here,
    // so the three do the same handshake (the agents' mTLS path is a scenario of its own to add).
    'listeners.mqtts.allowAnonymous=true',
    'listeners.mqtts.requestClientCert=false',
    'listeners.ws.enabled=false',
    'listeners.wss.enabled=false',
    'listeners.admin.enabled=true',
    'listeners.admin.port=0',
    'listeners.admin.host=127.0.0.1',
    `auth.anonymousPolicies=${variant.policies ? 'tenant-policies' : 'unrestricted'}`,
    `store.kind=${options.persistent ? 'sqlite' : 'memory'}`,
    'log.level=error',
  ].flatMap((setting) => ['--set', setting]);
  const args = [...(options.nodeArgs ?? []), gatehouseBin, 'serve', '--home', home, ...sets, ...gatehouseBenchSettings()];
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
  const endpointsPath = join(home, 'endpoints.json');
  const endpoints = await poll(async () => (existsSync(endpointsPath) ? (JSON.parse(await readFile(endpointsPath, 'utf8')) as Record<string, unknown>) : undefined), child, 30_000);
  const port = findPort(endpoints, 'mqtt');
  if (port === undefined) {
    child.kill('SIGKILL');
    throw new Error(`no mqtt port in ${endpointsPath}: ${JSON.stringify(endpoints)}`);
  }
  const tlsPort = options.tls ? findPort(endpoints, 'mqtts') : undefined;
  const ca = options.tls ? await readFile(join(home, 'pki', 'ca.pem'), 'utf8') : undefined;
  const adminUrl = typeof endpoints.admin === 'string' ? endpoints.admin.replace(/\/$/, '') : undefined;
  const name: BrokerName = variant.policies ? 'gatehouse-policy' : 'gatehouse';
  const store = options.persistent ? 'SQLite' : 'memory';
  const started = handle(name, child, {
    port,
    tlsPort,
    ca,
    description: variant.policies ? `gatehouse serve (${store} store, anonymous clients bound by the tenant's policies: bench/brokers/bench-policies.ts)` : `gatehouse serve (${store} store)`,
    // Denials during the scenario: beyond the probe's own (below), every one is a topic the policy should allow.
    ...(adminUrl === undefined ? {} : { afterRun: async () => ({ authorizationDenied: (await authorizationDenials(adminUrl)) - baseline }) }),
  });
  let baseline = 0;
  if (variant.policies) {
    try {
      if (adminUrl === undefined) throw new Error(`no admin listener in ${endpointsPath}: ${JSON.stringify(endpoints)}`);
      await attachBenchPolicies({ url: adminUrl, key: (await readFile(join(home, 'admin.key'), 'utf8')).trim() });
      baseline = await proveBenchPolicies({ host: '127.0.0.1', port }, adminUrl);
    } catch (error) {
      await started.stop();
      throw error;
    }
  }
  return started;
}

/** Reads a listener's port from endpoints.json, whose exact shape belongs to the app. */
function findPort(endpoints: Record<string, unknown>, name: string): number | undefined {
  const candidates = [endpoints[name], (endpoints.listeners as Record<string, unknown> | undefined)?.[name]];
  for (const candidate of candidates) {
    if (typeof candidate === 'number') return candidate;
    if (typeof candidate === 'object' && candidate !== null && typeof (candidate as { port?: unknown }).port === 'number') return (candidate as { port: number }).port;
    if (typeof candidate === 'string') {
      const match = /:(\d+)\/?$/.exec(candidate);
      if (match !== null) return Number(match[1]);
    }
  }
  return undefined;
}

async function startAedes(options: BrokerOptions): Promise<BrokerHandle> {
  const entry = fileURLToPath(new URL('./aedes-entry.ts', import.meta.url));
  const args = ['--import', 'tsx', entry];
  if (options.tls && options.certificate !== undefined) args.push('--tls-cert', options.certificate.cert, '--tls-key', options.certificate.key);
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  const ready = JSON.parse(await firstLine(child, 30_000)) as { port: number; tlsPort?: number };
  const ca = options.tls && options.certificate !== undefined ? await readFile(options.certificate.cert, 'utf8') : undefined;
  return handle('aedes', child, { port: ready.port, tlsPort: ready.tlsPort, ca, description: 'bench/brokers/aedes-entry.ts (default options, in-memory persistence)' });
}

/** The mosquitto binary, installed with apt-get when missing (the harness runs as root in CI). */
export function mosquittoBinary(): string {
  for (const candidate of ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto']) {
    if (existsSync(candidate)) return candidate;
  }
  process.stderr.write('bench: mosquitto is missing; running apt-get install -y mosquitto\n');
  execFileSync('apt-get', ['install', '-y', 'mosquitto'], { stdio: 'inherit' });
  if (existsSync('/usr/sbin/mosquitto')) return '/usr/sbin/mosquitto';
  throw new Error('mosquitto is not installed and apt-get install -y mosquitto did not provide /usr/sbin/mosquitto');
}

/** First line of `mosquitto -h` ("mosquitto version 2.0.11"); it exits non-zero, so no execFileSync. */
export function mosquittoVersion(binary = mosquittoBinary()): string {
  return spawnSync(binary, ['-h'], { encoding: 'utf8' }).stdout.split('\n')[0]?.trim() ?? 'mosquitto';
}

async function startMosquitto(options: BrokerOptions): Promise<BrokerHandle> {
  const binary = mosquittoBinary();
  const port = await freePort();
  const tlsPort = options.tls ? await freePort() : undefined;
  await mkdir(options.dir, { recursive: true });
  const lines = [
    // Started as root, mosquitto would switch to the mosquitto user and lose access to this directory.
    'user root',
    'per_listener_settings false',
    'allow_anonymous true',
    `persistence ${options.persistent ? 'true' : 'false'}`,
    `persistence_location ${options.dir}/`,
    // The default 1000 would drop messages in fan-in and retained; Gatehouse's limit is raised alike.
    'max_queued_messages 1000000',
    // Gatehouse and the Aedes entry send with TCP_NODELAY too: Nagle's algorithm against the
    // clients' delayed ACKs would stall small PUBLISHes by up to 40 ms and that is not what we compare.
    'set_tcp_nodelay true',
    'log_dest stderr',
    'log_type error',
    `listener ${String(port)} 127.0.0.1`,
  ];
  if (tlsPort !== undefined && options.certificate !== undefined) {
    lines.push(`listener ${String(tlsPort)} 127.0.0.1`, `certfile ${options.certificate.cert}`, `keyfile ${options.certificate.key}`);
  }
  const config = join(options.dir, 'mosquitto.conf');
  await writeFile(config, `${lines.join('\n')}\n`);
  const child = spawn(binary, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  await poll(() => canConnect(port), child, 10_000);
  if (tlsPort !== undefined) await poll(() => canConnect(tlsPort), child, 10_000);
  const version = mosquittoVersion(binary);
  const ca = options.tls && options.certificate !== undefined ? await readFile(options.certificate.cert, 'utf8') : undefined;
  return handle('mosquitto', child, { port, tlsPort, ca, description: `${version.trim()} (${options.persistent ? 'persistence true' : 'persistence false'})` });
}

function handle(
  name: BrokerName,
  child: ChildProcess,
  ready: { port: number; tlsPort: number | undefined; ca: string | undefined; description: string; afterRun?: () => Promise<Record<string, number>> },
): BrokerHandle {
  let stderr = '';
  let stopping = false;
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  child.on('exit', (code, signal) => {
    if (!stopping) process.stderr.write(`bench: ${name} exited early (${String(code ?? signal)}): ${stderr}\n`);
  });
  return {
    name,
    pid: child.pid ?? 0,
    port: ready.port,
    ...(ready.tlsPort === undefined ? {} : { tlsPort: ready.tlsPort }),
    ...(ready.ca === undefined ? {} : { ca: ready.ca }),
    description: ready.description,
    ...(ready.afterRun === undefined ? {} : { afterRun: ready.afterRun }),
    stop: () => {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      return new Promise((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      });
    },
  };
}

/** A port that was free a moment ago (mosquitto cannot listen on port 0 and tell us). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<true | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(undefined));
  });
}

async function poll<T>(probe: () => Promise<T | undefined>, child: ChildProcess, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with ${String(child.exitCode)} before it was ready: ${stderr}`);
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`not ready within ${String(timeoutMs)} ms: ${stderr}`);
}

function firstLine(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`broker did not report its port within ${String(timeoutMs)} ms: ${err}`));
    }, timeoutMs);
    child.stderr?.on('data', (chunk: Buffer) => {
      err = (err + chunk.toString()).slice(-2000);
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const end = out.indexOf('\n');
      if (end >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, end));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited with ${String(code)} before it was ready: ${err}`));
    });
  });
}
