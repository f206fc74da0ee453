/**
 * A real HTTP forward proxy for black-box tests: Debian's tinyproxy, started on a free loopback port
 * with its own temporary configuration (Basic auth, the CONNECT ports the test needs, a log file).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { access, constants, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.ts';
import { missingTools } from './system-tools.ts';

const INSTALL_HINT = 'apt-get update && apt-get install -y tinyproxy, or bash scripts/install-system-deps.sh';

/**
 * Where tinyproxy is: on the PATH, or in /usr/bin or /usr/sbin (Debian puts it in one of them, and a
 * non-root PATH may lack /usr/sbin).
 */
export async function findTinyproxy(): Promise<string | undefined> {
  if ((await missingTools(['tinyproxy'])).length === 0) return 'tinyproxy';
  for (const path of ['/usr/sbin/tinyproxy', '/usr/bin/tinyproxy']) {
    try {
      await access(path, constants.X_OK);
      return path;
    } catch {
      // not here; try the next
    }
  }
  return undefined;
}

/**
 * The `skip` value for a suite that needs tinyproxy: `false` when it is installed, else the reason
 * with the install command. With GATEHOUSE_REQUIRE_SERVICES=1 (CI) a missing tinyproxy throws instead,
 * so the suite fails rather than quietly skipping.
 *
 * @example
 * const skip = await skipWithoutTinyproxy();
 * describe('through a forward proxy', { skip }, () => {});
 */
export async function skipWithoutTinyproxy(): Promise<string | false> {
  if ((await findTinyproxy()) !== undefined) return false;
  const reason = `tinyproxy is not installed (${INSTALL_HINT})`;
  if (process.env['GATEHOUSE_REQUIRE_SERVICES'] === '1') throw new Error(`GATEHOUSE_REQUIRE_SERVICES=1 but ${reason}`);
  return reason;
}

export interface ForwardProxyOptions {
  /** The Basic auth user and password the proxy demands (407 otherwise). */
  readonly user: string;
  readonly password: string;
  /**
   * Ports the proxy may CONNECT to, besides 443. Tinyproxy refuses CONNECT (403) to any port not
   * listed, as a corporate proxy that allows only HTTPS does.
   */
  readonly connectPorts: readonly number[];
}

export interface ForwardProxy {
  /** `http://user:password@127.0.0.1:port`, or with other credentials when given. */
  url(credentials?: { user: string; password: string }): string;
  readonly port: number;
  /** Tinyproxy's log so far (LogLevel Info: each request line and each established connection). */
  log(): Promise<string>;
  /** The `host:port` of every CONNECT request in the log, in order, whether or not it was allowed. */
  connectRequests(): Promise<string[]>;
  /** Stops tinyproxy and removes its directory. */
  stop(): Promise<void>;
}

/**
 * Starts tinyproxy in the foreground on a free port of 127.0.0.1, allowing clients from 127.0.0.1
 * only. The port is found by binding port 0 and closing it, so another process could take it in
 * between; a start that fails is retried on a new port.
 *
 * @example
 * const proxy = await startForwardProxy({ user: 'agent', password: 's3cret', connectPorts: [gh.ports.wss] });
 * const agent = await createAgent({ ..., env: { HTTPS_PROXY: proxy.url() } });
 * assert.deepEqual(await proxy.connectRequests(), [`localhost:${gh.ports.wss}`]);
 * await proxy.stop();
 */
export async function startForwardProxy(options: ForwardProxyOptions): Promise<ForwardProxy> {
  const binary = await findTinyproxy();
  if (binary === undefined) throw new Error(`Cannot start the forward proxy: tinyproxy is not installed (${INSTALL_HINT})`);
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-tinyproxy-'));
  const logFile = join(dir, 'tinyproxy.log');
  const failures: string[] = [];
  try {
    for (let attempt = 1; attempt <= 3; attempt++) {
      const port = await freePort();
      const config = join(dir, 'tinyproxy.conf');
      await writeFile(config, configText({ ...options, port, logFile, pidFile: join(dir, 'tinyproxy.pid') }));
      const child = spawn(binary, ['-d', '-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      const keep = (chunk: Buffer): void => void (output = (output + chunk.toString('utf8')).slice(-16 * 1024));
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      const exited = once(child, 'exit');
      exited.catch(() => {});
      if (await listening(child, port)) return handle({ ...options, child, exited, port, dir, logFile });
      child.kill('SIGKILL');
      await exited;
      failures.push(`port ${port}: ${output.trim() || (await readFile(logFile, 'utf8').catch(() => '')).trim().split('\n').slice(-3).join(' | ')}`);
    }
    throw new Error(`Cannot start tinyproxy:\n${failures.join('\n')}`);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

function configText(options: ForwardProxyOptions & { port: number; logFile: string; pidFile: string }): string {
  const ports = [...new Set([443, ...options.connectPorts])];
  return [
    `Port ${options.port}`,
    'Listen 127.0.0.1',
    'Timeout 60',
    `LogFile "${options.logFile}"`,
    // Info is the level that logs "Request ...: CONNECT host:port" and "Established connection".
    'LogLevel Info',
    `PidFile "${options.pidFile}"`,
    'MaxClients 50',
    'Allow 127.0.0.1',
    `BasicAuth ${options.user} ${options.password}`,
    ...ports.map((port) => `ConnectPort ${port}`),
    'DisableViaHeader Yes',
    '',
  ].join('\n');
}

/** True once `port` accepts connections; false when the process exits first or 5 s pass. */
async function listening(child: ChildProcess, port: number): Promise<boolean> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open && child.exitCode === null) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

function handle(options: ForwardProxyOptions & { child: ChildProcess; exited: Promise<unknown>; port: number; dir: string; logFile: string }): ForwardProxy {
  const { child, exited, port, dir, logFile } = options;
  const log = (): Promise<string> => readFile(logFile, 'utf8').catch(() => '');
  let stopped: Promise<void> | undefined;
  return {
    port,
    url: (credentials = { user: options.user, password: options.password }) =>
      `http://${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}`,
    log,
    connectRequests: async () => [...(await log()).matchAll(/Request \(file descriptor \d+\): CONNECT (\S+) HTTP/g)].map((match) => match[1] ?? ''),
    stop: () =>
      (stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        await exited;
        await rm(dir, { recursive: true, force: true });
      })()),
  };
}
