/** The TCP step: can this machine open a connection to the endpoint's port, and if not, how it fails. */
import { connect, type Socket } from 'node:net';
import type { DiagnosisContext, Verdict } from './diagnosis-context.ts';

type TcpFailure = { readonly kind: 'timeout' | 'refused' | 'unreachable' | 'blocked-locally' | 'other'; readonly message: string };

/**
 * Connects to each resolved address in turn until one answers. A refusal (RST) means something
 * answered: nothing listens there, or a firewall rejects; silence until the timeout means a firewall
 * drops the packets; unreachable means no route. Through a proxy the tunnel already proved this.
 */
export async function checkTcp(context: DiagnosisContext): Promise<Verdict> {
  if (context.proxy !== undefined) {
    return { status: 'pass', cause: `The proxy connected to ${context.authority} for us (the tunnel is open)` };
  }
  const addresses = context.addresses.length > 0 ? context.addresses : [context.host];
  const failures: Array<{ address: string; failure: TcpFailure }> = [];
  for (const address of addresses) {
    const result = await connectTcp(address, context.port, context.timeoutMs);
    if ('socket' in result) {
      context.socket = result.socket;
      context.cleanups.push(() => result.socket.destroy());
      const tried = failures.length > 0 ? ` (after ${failures.map((f) => `${f.address}: ${f.failure.kind}`).join(', ')})` : '';
      return { status: 'pass', cause: `Connected to ${target(address, context.port)}${tried}` };
    }
    failures.push({ address, failure: result.failure });
  }
  const [first] = failures as [{ address: string; failure: TcpFailure }];
  const where = target(first.address, context.port);
  const rule = `allow outbound TCP ${context.port} to ${addresses.join(', ')}`;
  switch (first.failure.kind) {
    case 'refused':
      return { status: 'fail', cause: `${where} refused the connection: nothing listens on port ${context.port} there, or a firewall rejects it`, ask: `Check the endpoint's port with your Gatehouse operator; if it is right, ask the firewall admin to ${rule}` };
    case 'timeout':
      return { status: 'fail', cause: `No answer from ${where} within ${context.timeoutMs} ms: a firewall is most likely dropping the packets`, ask: `Ask the firewall admin to ${rule}` };
    case 'unreachable':
      return { status: 'fail', cause: `${where} is unreachable from this machine (${first.failure.message}): no route to it`, ask: `Ask the network admin for a route to ${addresses.join(', ')} and to ${rule}` };
    case 'blocked-locally':
      return { status: 'fail', cause: `This machine's own firewall blocked the connection to ${where} (${first.failure.message})`, ask: `Ask the admin of this machine to ${rule}` };
    case 'other':
      return { status: 'fail', cause: `Cannot connect to ${where}: ${first.failure.message}`, ask: `Ask the firewall admin to ${rule}` };
    default: {
      const never: never = first.failure.kind;
      throw new TypeError(`Unknown TCP failure ${String(never)}`);
    }
  }
}

function target(address: string, port: number): string {
  return `${address.includes(':') ? `[${address}]` : address}:${port}`;
}

function connectTcp(host: string, port: number, timeoutMs: number): Promise<{ socket: Socket } | { failure: TcpFailure }> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ failure: { kind: 'timeout', message: `no answer in ${timeoutMs} ms` } });
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      // A late error on the kept socket is read by the TLS step; until then it must not go unhandled.
      socket.on('error', () => undefined);
      resolve({ socket });
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ failure: { kind: failureKind(error.code), message: error.code ?? error.message } });
    });
  });
}

function failureKind(code: string | undefined): TcpFailure['kind'] {
  switch (code) {
    case 'ECONNREFUSED':
    case 'ECONNRESET':
      return 'refused';
    case 'ETIMEDOUT':
      return 'timeout';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      return 'unreachable';
    case 'EACCES':
    case 'EPERM':
      return 'blocked-locally';
    default:
      return 'other';
  }
}
