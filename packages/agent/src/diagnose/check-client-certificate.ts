/**
 * The client-certificate step: is the agent's certificate usable by its own dates and key, and did
 * the server accept it. The server's verdict arrives in the TLS handshake (an alert) or in the CONNACK,
 * so this step opens the MQTT session that the following steps use.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { connectMqtt } from './connect-mqtt.ts';
import type { DiagnosisContext, Verdict } from './diagnosis-context.ts';

const RENEW = 'Not a firewall matter: register this agent again (`gatehouse-agent register` with a new token) or ask your Gatehouse operator for a new certificate';
/** CONNACK codes that refuse the credentials: MQTT 5 0x86 bad user name or password, 0x87 not authorized, 0x8C bad authentication method; 3.1.1 4 and 5. */
const CREDENTIAL_REFUSALS = new Set([0x86, 0x87, 0x8c, 4, 5]);

export async function checkClientCertificate(context: DiagnosisContext): Promise<Verdict> {
  const { cert, key } = context.tls;
  if (cert === undefined || key === undefined) {
    return { status: 'fail', cause: 'No client certificate and key were given (--cert and --key, or the --dir that `gatehouse-agent register` wrote)', ask: RENEW };
  }
  let own: X509Certificate;
  try {
    own = new X509Certificate(cert);
  } catch (error) {
    return { status: 'fail', cause: `Cannot read this agent's certificate: ${(error as Error).message}`, ask: RENEW };
  }
  try {
    if (!own.checkPrivateKey(createPrivateKey(key))) return { status: 'fail', cause: 'The private key does not belong to the certificate (the files are from two different registrations)', ask: RENEW };
  } catch (error) {
    return { status: 'fail', cause: `Cannot read this agent's private key: ${(error as Error).message}`, ask: RENEW };
  }
  const name = `${own.subject.replace(/\n/g, ', ')}, serial ${own.serialNumber.toLowerCase()}`;
  const local = context.now();
  const notBefore = Date.parse(own.validFrom);
  const notAfter = Date.parse(own.validTo);
  if (local > notAfter) return { status: 'fail', cause: `This agent's certificate (${name}) expired at ${new Date(notAfter).toISOString()}`, ask: RENEW };
  if (local < notBefore) return { status: 'fail', cause: `This agent's certificate (${name}) is not valid before ${new Date(notBefore).toISOString()}`, ask: RENEW };

  if (context.clientCertificateAlert !== undefined) return refusedInHandshake(context.clientCertificateAlert, name);
  const outcome = await connectMqtt(context);
  context.mqtt = outcome;
  switch (outcome.kind) {
    case 'accepted':
      return { status: 'pass', cause: `${name}, valid to ${new Date(notAfter).toISOString()}: the server accepted it` };
    case 'refused':
      if (CREDENTIAL_REFUSALS.has(outcome.code) && outcome.reason !== undefined && /certificate/i.test(outcome.reason)) {
        return { status: 'fail', cause: `The server refused this agent's certificate (${name}): ${explainReason(outcome.reason)}`, ask: RENEW };
      }
      return { status: 'pass', cause: `${name} is valid by its dates; the server's refusal is not about it (see the MQTT CONNECT step)` };
    case 'failed': {
      const code = alertCode(outcome.error);
      if (code !== undefined) return refusedInHandshake(code, name);
      return { status: 'pass', cause: `${name} is valid by its dates; the connection failed before the server judged it (see the MQTT CONNECT step)` };
    }
    default: {
      const never: never = outcome;
      throw new TypeError(`Unknown MQTT outcome ${JSON.stringify(never)}`);
    }
  }
}

function explainReason(reason: string): string {
  if (/revoked/i.test(reason)) return `${reason} (revocation is final: only a new certificate helps)`;
  if (/expired/i.test(reason)) return `${reason} (it has expired)`;
  if (/inactive|pending/i.test(reason)) return `${reason} (it was deactivated: your Gatehouse operator can activate it again)`;
  if (/not registered|unknown/i.test(reason)) return `${reason} (this Gatehouse does not know it: wrong endpoint, or it was deleted)`;
  return reason;
}

function refusedInHandshake(code: string, name: string): Verdict {
  const what = /REVOKED/.test(code) ? 'it is revoked' : /EXPIRED/.test(code) ? 'it has expired' : /UNKNOWN_CA|UNKNOWN/.test(code) ? 'its issuer is unknown to the server' : /REQUIRED/.test(code) ? 'the server wants a certificate and got none' : 'the server does not accept it';
  return { status: 'fail', cause: `The server refused this agent's certificate (${name}) in the TLS handshake: ${what} [${code}]`, ask: RENEW };
}

/** The TLS alert code in an error or its causes, when it is about the client certificate. */
function alertCode(error: Error): string | undefined {
  for (let at: unknown = error, depth = 0; at instanceof Error && depth < 4; at = at.cause, depth++) {
    const code = (at as NodeJS.ErrnoException).code;
    if (code !== undefined && (/ALERT_(BAD_CERTIFICATE|CERTIFICATE_\w+|UNKNOWN_CA)$/.test(code) || code.endsWith('CERTIFICATE_REQUIRED'))) return code;
  }
  return undefined;
}
