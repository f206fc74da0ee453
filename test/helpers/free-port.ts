/** A loopback port that nothing listens on, for a tool that must be told its port or for a dead endpoint. */
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';

/**
 * A port of 127.0.0.1 that was free a moment ago (bound on port 0, then closed). Another process may
 * take it in between, so a caller that listens on it retries on failure.
 *
 * @example
 * const port = await freePort();
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}
