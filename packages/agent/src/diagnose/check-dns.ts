/** The DNS step: does the endpoint's name resolve here, and to which addresses. */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { DiagnosisContext, Verdict } from './diagnosis-context.ts';

/**
 * Resolves the endpoint's host the way a connection would (the system resolver, hosts file
 * included). Behind a proxy the proxy resolves names, so a local failure is only a warning there.
 */
export async function checkDns(context: DiagnosisContext): Promise<Verdict> {
  const { host } = context;
  if (isIP(host) !== 0) {
    context.addresses = [host];
    return { status: 'pass', cause: `${host} is an address; nothing to resolve` };
  }
  try {
    const found = await lookup(host, { all: true, verbatim: true });
    context.addresses = found.map((entry) => entry.address);
    return { status: 'pass', cause: `${host} resolves to ${context.addresses.join(', ')}` };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOTFOUND'
      ? `the name ${host} does not exist in DNS (check the endpoint's spelling)`
      : code === 'EAI_AGAIN'
        ? `the DNS server did not answer for ${host} (a temporary failure, or this network cannot resolve outside names)`
        : `${host} cannot be resolved: ${(error as Error).message}`;
    if (context.proxy !== undefined) {
      return { status: 'warn', cause: `${why}; the proxy resolves names itself, so this may not matter` };
    }
    return {
      status: 'fail',
      cause: `Cannot resolve ${host}: ${why}`,
      ask: `Ask IT whether this machine's DNS resolves ${host}, or use the endpoint's exact name from your Gatehouse operator`,
    };
  }
}
