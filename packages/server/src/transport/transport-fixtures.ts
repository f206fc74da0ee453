/** What the transport tests share: an echoing connection handler, a reader, and an HTTP/2 request helper. */
import { once } from 'node:events';
import type { ClientHttp2Session } from 'node:http2';
import type { Duplex } from 'node:stream';
import type { PeerInfo } from '../core/index.js';

/** Answers every chunk with `echo:` + chunk and records the peers it saw. */
export function echo(peers: PeerInfo[]) {
  return (stream: Duplex, peer: PeerInfo): void => {
    peers.push(peer);
    stream.on('error', () => {});
    stream.on('data', (chunk: Buffer) => stream.write(Buffer.concat([Buffer.from('echo:'), chunk])));
  };
}

/** Reads until at least `expected.length` characters have arrived. */
export async function readUntil(stream: NodeJS.ReadableStream, expected: string): Promise<string> {
  let received = '';
  for await (const chunk of stream) {
    received += String(chunk);
    if (received.length >= expected.length) break;
  }
  return received;
}

/**
 * One HTTP/2 request on `session`: its status and body text.
 *
 * @example
 * const [status, body] = await http2Ask(session, { ':path': '/healthz' });
 */
export async function http2Ask(session: ClientHttp2Session, headers: Record<string, string>, body?: string): Promise<[number, string]> {
  const stream = session.request(headers);
  stream.end(body);
  const [answer] = (await once(stream, 'response')) as [Record<string, unknown>];
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return [Number(answer[':status']), text];
}
