/**
 * The TLS step: is the server's certificate chain the one the agent trusts, for the endpoint's name.
 * This is where TLS inspection shows: the chain then comes from the inspecting proxy's own CA.
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { connect, type DetailedPeerCertificate, type TLSSocket } from 'node:tls';
import type { DiagnosisContext, Verdict } from './diagnosis-context.ts';
import { readServerTime } from './read-server-time.ts';

/** Node's codes for a chain that does not lead to a trusted CA. */
const UNTRUSTED = new Set(['SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE']);
const DATES = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

/**
 * Handshakes on the socket the TCP or proxy step opened, with the agent's CA, certificate and the
 * ALPN its transport uses, accepting any chain so that a refused one can be described: who issued
 * it, for which names, valid when.
 */
export async function checkTls(context: DiagnosisContext): Promise<Verdict> {
  const socket = context.socket;
  if (socket === undefined) throw new TypeError('The TLS step needs the socket of the TCP or proxy step');
  context.socket = undefined;
  let secure: TLSSocket;
  try {
    secure = await handshake(context, socket);
  } catch (error) {
    return explainHandshakeError(context, error as NodeJS.ErrnoException);
  }
  context.cleanups.push(() => secure.destroy());
  const peer = secure.getPeerCertificate(true);
  context.peerCertificate = peer;
  const protocol = secure.getProtocol() ?? 'TLS';
  secure.end();
  const error = secure.authorizationError as unknown as string | undefined;
  if (secure.authorized || error === undefined) {
    return { status: 'pass', cause: `${protocol}; the server's certificate (${describe(peer)}) is issued by ${quoteIssuer(peer)}, which this agent trusts` };
  }
  if (UNTRUSTED.has(error)) return explainUntrusted(context, peer, error);
  if (DATES.has(error)) return explainDates(context, peer, error);
  if (error === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return {
      status: 'fail',
      cause: `The server's certificate is trusted but names ${peer.subjectaltname ?? peer.subject?.CN ?? 'other hosts'}, not ${context.host}`,
      ask: `Use the endpoint's name as your Gatehouse operator gives it (the one in its certificate), or ask them to add ${context.host} to the server certificate`,
    };
  }
  return { status: 'fail', cause: `The server's certificate (${describe(peer)}) is refused: ${error}` };
}

function handshake(context: DiagnosisContext, socket: NonNullable<DiagnosisContext['socket']>): Promise<TLSSocket> {
  const { tls } = context;
  const servername = tls.servername ?? (isIP(context.host) === 0 ? context.host : undefined);
  const secure = connect({
    socket,
    ALPNProtocols: context.url.protocol === 'wss:' ? ['http/1.1'] : ['mqtt'],
    rejectUnauthorized: false,
    ...(servername === undefined ? {} : { servername }),
    ...(tls.cert === undefined ? {} : { cert: tls.cert }),
    ...(tls.key === undefined ? {} : { key: tls.key }),
    ...(tls.ca === undefined ? {} : { ca: tls.ca as string | Buffer | Array<string | Buffer> }),
  });
  return new Promise<TLSSocket>((resolve, reject) => {
    const timer = setTimeout(() => {
      secure.destroy();
      reject(Object.assign(new Error(`no TLS answer within ${context.timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    }, context.timeoutMs);
    secure.once('secureConnect', () => {
      clearTimeout(timer);
      // Errors after this point (a TLS 1.3 alert about the client certificate) are the MQTT step's to read.
      secure.on('error', () => undefined);
      resolve(secure);
    });
    secure.once('error', (error) => {
      clearTimeout(timer);
      secure.destroy();
      reject(error);
    });
  });
}

function explainHandshakeError(context: DiagnosisContext, error: NodeJS.ErrnoException): Verdict {
  const code = error.code ?? '';
  if (/ALERT_(BAD_CERTIFICATE|CERTIFICATE_\w+|UNKNOWN_CA)$/.test(code) || code.endsWith('CERTIFICATE_REQUIRED')) {
    context.clientCertificateAlert = code;
    return { status: 'warn', cause: `The server ended the handshake with an alert about the client certificate (${code}); see the client-certificate step` };
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || /closed|socket hang up/i.test(error.message)) {
    return {
      status: 'fail',
      cause: `The connection to ${context.authority} was cut during the TLS handshake: a firewall or proxy that inspects traffic is most likely refusing it`,
      ask: `Ask the firewall admin to allow TLS to ${context.authority} without inspection (exempt it from TLS/SSL inspection and application filtering)`,
    };
  }
  if (code === 'ETIMEDOUT') {
    return { status: 'fail', cause: `${context.authority} accepted TCP but did not answer the TLS handshake within ${context.timeoutMs} ms: it is not a TLS port, or something in between holds the traffic`, ask: `Check the endpoint's port with your Gatehouse operator; ask the firewall admin whether ${context.authority} is filtered beyond TCP` };
  }
  if (/NO_APPLICATION_PROTOCOL/.test(code)) {
    return { status: 'fail', cause: `The server at ${context.authority} refused the ALPN protocol this endpoint needs (${code}): it is not a Gatehouse agent port, or a proxy in between answers instead`, ask: `Check the endpoint with your Gatehouse operator` };
  }
  return { status: 'fail', cause: `TLS handshake with ${context.authority} failed: ${error.message}`, ask: `Ask the firewall admin whether TLS to ${context.authority} is inspected or filtered` };
}

function explainUntrusted(context: DiagnosisContext, peer: DetailedPeerCertificate, error: string): Verdict {
  const ours = trustedCaName(context);
  return {
    status: 'fail',
    cause: `The certificate is issued by ${quoteIssuer(peer)}, not by ${ours === undefined ? 'a CA this agent trusts' : `your Gatehouse CA '${ours}'`}: a TLS-inspecting proxy is in the way (or the --ca file is not your Gatehouse's) [${error}]`,
    ask: `Ask IT to exempt ${context.authority} from TLS inspection (the agent authenticates with its own certificate, which an inspecting proxy cannot pass on)`,
  };
}

async function explainDates(context: DiagnosisContext, peer: DetailedPeerCertificate, error: string): Promise<Verdict> {
  context.serverDateError = error;
  const validity = `valid from ${peer.valid_from} to ${peer.valid_to}`;
  const serverTime = await readServerTime(context);
  const notBefore = Date.parse(peer.valid_from);
  const notAfter = Date.parse(peer.valid_to);
  if (serverTime !== undefined && (serverTime > notAfter || serverTime < notBefore)) {
    return {
      status: 'fail',
      cause: `The server's certificate is ${serverTime > notAfter ? 'expired' : 'not yet valid'} by the server's own clock too (${validity})`,
      ask: `Ask your Gatehouse operator to renew the server certificate of ${context.host}`,
    };
  }
  return { status: 'warn', cause: `The server's certificate is trusted, but by this machine's clock it is ${error === 'CERT_HAS_EXPIRED' ? 'expired' : 'not yet valid'} (${validity}); see the clock step` };
}

/** The issuer as the server presented it: the chain's top (the root the proxy made), else the leaf's issuer. */
function quoteIssuer(peer: DetailedPeerCertificate): string {
  let top = peer;
  for (let depth = 0; depth < 10 && top.issuerCertificate !== undefined && top.issuerCertificate !== top; depth++) top = top.issuerCertificate;
  const name = (top === peer ? peer.issuer : top.subject) as unknown as Record<string, string | string[] | undefined> | undefined;
  return `'${text(name?.['CN']) ?? text(name?.['O']) ?? 'an unnamed CA'}'`;
}

function describe(peer: DetailedPeerCertificate): string {
  const subject = peer.subject as unknown as Record<string, string | string[] | undefined> | undefined;
  return `CN=${text(subject?.['CN']) ?? '?'}, valid to ${peer.valid_to}`;
}

function text(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The common name of the (first) CA the agent trusts, to name it beside the one presented. */
function trustedCaName(context: DiagnosisContext): string | undefined {
  const ca = context.tls.ca;
  const first = Array.isArray(ca) ? ca[0] : ca;
  if (first === undefined) return undefined;
  try {
    const subject = new X509Certificate(first as string | Buffer).subject;
    return /(?:^|\n)CN=([^\n]*)/.exec(subject)?.[1] ?? subject.replace(/\n/g, ', ');
  } catch {
    return undefined;
  }
}
