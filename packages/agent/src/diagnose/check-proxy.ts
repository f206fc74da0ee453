/** The proxy step: when HTTPS_PROXY applies, can it be reached, and does it open a CONNECT tunnel to the endpoint. */
import { openTunnel, ProxyTunnelError } from '../open-tunnel.ts';
import { redact } from '../proxy-for-url.ts';
import type { DiagnosisContext, Verdict } from './diagnosis-context.ts';

/**
 * Asks the proxy to CONNECT to the endpoint (Basic auth from the proxy URL) and reads its status:
 * 407 (or 401) means the credentials, 403 the proxy's own policy, 502/503/504 that the proxy could not reach
 * the endpoint. The open tunnel is what the TLS step then runs on.
 */
export async function checkProxy(context: DiagnosisContext): Promise<Verdict> {
  const { proxy, authority } = context;
  if (proxy === undefined) return { status: 'skipped', cause: `Proxy ${context.proxyReason}` };
  const where = redact(proxy.origin);
  try {
    const socket = await openTunnel(proxy, context.host, context.port, { signal: AbortSignal.timeout(context.timeoutMs) });
    context.socket = socket;
    context.cleanups.push(() => socket.destroy());
    return { status: 'pass', cause: `Proxy ${where} (${context.proxyReason}) opened a tunnel to ${authority}` };
  } catch (error) {
    const status = error instanceof ProxyTunnelError ? error.status : undefined;
    return explainRefusal(status, error as Error, { where, authority, hasCredentials: proxy.username !== '' });
  }
}

function explainRefusal(status: number | undefined, error: Error, at: { where: string; authority: string; hasCredentials: boolean }): Verdict {
  const { where, authority } = at;
  switch (status) {
    case undefined:
      if (isAbort(error) || isAbort(error.cause)) {
        return { status: 'fail', cause: `Proxy ${where} did not answer the CONNECT for ${authority} in time`, ask: `Ask IT whether ${where} is the right proxy and is up` };
      }
      return { status: 'fail', cause: `Cannot reach the proxy ${where}: ${error.message}`, ask: `Ask IT for the proxy's address (HTTPS_PROXY) and whether this machine may reach it` };
    // tinyproxy 1.11 answers wrong credentials with 401 rather than 407 (its issue #532).
    case 401:
    case 407:
      return {
        status: 'fail',
        cause: at.hasCredentials
          ? `Proxy ${where} refused the credentials (${status === 407 ? '407 Proxy Authentication Required' : '401'})`
          : `Proxy ${where} wants credentials (${status === 407 ? '407 Proxy Authentication Required' : '401'}) and HTTPS_PROXY has none`,
        ask: `Proxy credentials were refused: ask the proxy admin for a user and password allowed to CONNECT to ${authority}, and put them in HTTPS_PROXY as http://user:password@host:port`,
      };
    case 403:
      return { status: 'fail', cause: `Proxy ${where} forbids CONNECT to ${authority} (403): its policy blocks this destination or port`, ask: `Ask the proxy admin to allow CONNECT to ${authority}` };
    case 502:
    case 503:
    case 504:
      return { status: 'fail', cause: `Proxy ${where} could not reach ${authority} (${status})`, ask: `Ask the proxy admin to allow outbound TCP from the proxy to ${authority}` };
    default:
      return { status: 'fail', cause: `Proxy ${where} refused CONNECT to ${authority} with ${status}`, ask: `Ask the proxy admin why CONNECT to ${authority} is answered ${status}` };
  }
}

function isAbort(error: unknown): boolean {
  const name = (error as Error | undefined)?.name;
  return name === 'TimeoutError' || name === 'AbortError';
}
