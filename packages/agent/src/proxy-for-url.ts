/**
 * Which HTTP proxy an endpoint is reached through, from `HTTPS_PROXY`/`https_proxy` and
 * `NO_PROXY`/`no_proxy` as curl reads them. Both MQTT over TLS and WebSocket-TLS are TLS, so
 * `HTTPS_PROXY` is the variable for both; `HTTP_PROXY` is never used.
 */
import { BlockList, isIP } from 'node:net';

/** The environment variables read; `process.env` by default. */
export type ProxyEnvironment = Readonly<Record<string, string | undefined>>;

/**
 * The proxy URL for `endpoint`, or undefined when it is reached directly: `HTTPS_PROXY` (or
 * `https_proxy`) unless `NO_PROXY` (or `no_proxy`) names the host. A proxy URL without a scheme is
 * taken as `http://`, as curl does.
 *
 * `NO_PROXY` is a comma- or space-separated list: `*` (everything), a host name that matches itself
 * and its subdomains (`example.com`, `.example.com` and `*.example.com` all match `a.example.com`),
 * an IP address, an IPv4 or IPv6 CIDR block (`10.0.0.0/8`), each optionally with `:port` to match
 * only that port.
 *
 * @example
 * proxyForUrl(new URL('mqtts://iot.example.com:443'), { HTTPS_PROXY: 'http://user:pw@proxy:3128' })?.host; // 'proxy:3128'
 * proxyForUrl(new URL('mqtts://iot.example.com:443'), { HTTPS_PROXY: 'proxy:3128', NO_PROXY: '.example.com' }); // undefined
 */
export function proxyForUrl(endpoint: URL, env: ProxyEnvironment = process.env): URL | undefined {
  const proxy = env['HTTPS_PROXY'] || env['https_proxy'];
  if (proxy === undefined || proxy === '') return undefined;
  const noProxy = env['NO_PROXY'] || env['no_proxy'] || '';
  if (matchesNoProxy(endpoint, noProxy)) return undefined;
  return parseProxyUrl(proxy);
}

/**
 * Reads a proxy URL (`http://user:password@host:port`, `https://...`, or `host:port`); an unusable
 * one throws a TypeError that names it without its password.
 *
 * @example
 * parseProxyUrl('proxy.corp:3128').href; // 'http://proxy.corp:3128/'
 */
export function parseProxyUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`);
  } catch {
    throw new TypeError(`Cannot use proxy "${redact(text)}": it is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`Cannot use proxy "${redact(text)}": only http:// and https:// proxies are supported, not ${url.protocol}//`);
  }
  return url;
}

/**
 * Whether a `NO_PROXY` list names the endpoint's host (see {@link proxyForUrl} for the syntax).
 *
 * @example
 * matchesNoProxy(new URL('wss://a.example.com/mqtt'), 'localhost,.example.com'); // true
 * matchesNoProxy(new URL('mqtts://10.1.2.3:8883'), '10.0.0.0/8:8883');         // true
 */
export function matchesNoProxy(endpoint: URL, noProxy: string): boolean {
  const host = unbracket(endpoint.hostname.toLowerCase()).replace(/\.$/, '');
  const port = endpoint.port === '' ? defaultPort(endpoint.protocol) : Number(endpoint.port);
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    const { name, port: entryPort } = splitPort(entry);
    if (entryPort !== undefined && entryPort !== port) continue;
    if (matchesName(host, name)) return true;
  }
  return false;
}

function matchesName(host: string, name: string): boolean {
  const slash = name.indexOf('/');
  if (slash !== -1) {
    const network = name.slice(0, slash);
    const prefix = Number(name.slice(slash + 1));
    const family = isIP(network);
    const hostFamily = isIP(host);
    if (family === 0 || family !== hostFamily || !Number.isInteger(prefix)) return false;
    const block = new BlockList();
    const type = family === 4 ? 'ipv4' : 'ipv6';
    try {
      block.addSubnet(network, prefix, type);
    } catch {
      return false;
    }
    return block.check(host, type);
  }
  const bare = name.replace(/^\*?\./, '').replace(/\.$/, '');
  if (isIP(host) !== 0 || isIP(bare) !== 0) return host === bare;
  return host === bare || host.endsWith(`.${bare}`);
}

/** `host:port`, `[v6]:port`, `v6` (several colons, no brackets: no port) or a CIDR block. */
function splitPort(entry: string): { name: string; port?: number } {
  if (entry.startsWith('[')) {
    const close = entry.indexOf(']');
    const rest = entry.slice(close + 1);
    const name = entry.slice(1, close);
    return rest.startsWith(':') ? { name, port: Number(rest.slice(1)) } : { name };
  }
  const colons = entry.split(':').length - 1;
  if (colons !== 1) return { name: entry };
  const [name = '', port = ''] = entry.split(':');
  return /^\d+$/.test(port) ? { name, port: Number(port) } : { name: entry };
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function defaultPort(protocol: string): number {
  return protocol === 'mqtts:' ? 8883 : protocol === 'mqtt:' ? 1883 : protocol === 'ws:' || protocol === 'http:' ? 80 : 443;
}

/** The proxy text with any password replaced, fit for an error message. */
export function redact(text: string): string {
  return text.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
