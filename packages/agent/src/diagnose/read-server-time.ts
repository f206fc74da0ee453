/** The server's own clock, from the `Date` header of an HTTPS answer on the endpoint's port. */
import { request } from 'node:http';
import { connect as tcpConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { openTunnel } from '../open-tunnel.ts';
import type { DiagnosisContext } from './diagnosis-context.ts';

/**
 * The server's time in epoch ms, or undefined when the port does not answer HTTP (a dedicated MQTT
 * port). The single agent port and the WSS port serve `/healthz`; any answer carries `Date`
 * (RFC 9110 §6.6.1), good to a second. Asked once per diagnosis and shared by the steps that need it.
 * Certificates are not checked here: this is only a clock, and the TLS step judges the certificate.
 */
export function readServerTime(context: DiagnosisContext): Promise<number | undefined> {
  context.serverTime ??= askDate(context).catch(() => undefined);
  return context.serverTime;
}

async function askDate(context: DiagnosisContext): Promise<number | undefined> {
  const timeout = AbortSignal.timeout(Math.min(context.timeoutMs, 3000));
  const socket: Socket = context.proxy === undefined
    ? tcpConnect({ host: context.host, port: context.port })
    : await openTunnel(context.proxy, context.host, context.port, { signal: timeout });
  const secure = tlsConnect({
    socket,
    ALPNProtocols: ['http/1.1'],
    rejectUnauthorized: false,
    ...(isIP(context.host) === 0 ? { servername: context.host } : {}),
  });
  return new Promise<number | undefined>((resolve) => {
    const done = (value: number | undefined): void => {
      secure.destroy();
      socket.destroy();
      resolve(value);
    };
    timeout.addEventListener('abort', () => done(undefined), { once: true });
    secure.on('error', () => done(undefined));
    // No agent: with createConnection and no agent, Node uses the given socket (agent: false would not).
    const ask = request({ method: 'HEAD', path: '/healthz', headers: { host: context.authority, connection: 'close' }, createConnection: () => secure }, (response) => {
      response.resume();
      const date = Date.parse(response.headers.date ?? '');
      done(Number.isNaN(date) ? undefined : date);
    });
    ask.on('error', () => done(undefined));
    ask.end();
  });
}
