/** The short, friendly text printed to stdout at start: what was created, where to connect, what to try. */
import type { FirstRun } from './first-run.js';
import type { Endpoints } from './endpoints.js';
import type { PortFallback } from './listen-with-fallback.js';

export interface BannerInput {
  readonly version: string;
  readonly firstRun: FirstRun;
  readonly endpoints: Endpoints;
  readonly ports: { readonly mqtt?: number; readonly mqtts?: number };
  readonly fallbacks: readonly PortFallback[];
  readonly storeDescription: string;
}

const rows: ReadonlyArray<readonly [keyof Endpoints, string]> = [
  ['mqtt', 'MQTT'],
  ['mqtts', 'MQTT over TLS'],
  ['ws', 'WebSocket'],
  ['wss', 'WebSocket (TLS)'],
  ['admin', 'Admin API'],
];

/**
 * Renders the banner. It names the admin key's file and never the key.
 *
 * @example
 * process.stdout.write(renderBanner({ version, firstRun, endpoints, ports: { mqtt: 1883 }, fallbacks: [], storeDescription: 'SQLite at ...' }));
 */
export function renderBanner(input: BannerInput): string {
  const { firstRun, endpoints } = input;
  const lines: string[] = ['', `Gatehouse ${input.version} is running (home ${firstRun.home}, store ${input.storeDescription}).`];

  const created: Array<readonly [string, string]> = [];
  if (firstRun.pki?.createdCa) created.push(['CA certificate', firstRun.pki.ca]);
  if (firstRun.pki?.createdServerCert) created.push(['Server certificate', firstRun.pki.cert]);
  if (firstRun.adminKeyCreated) created.push(['Admin API key', `${firstRun.adminKeyPath} (keep it secret; it is not shown here)`]);
  if (created.length > 0) {
    lines.push('', 'Created on this run:');
    for (const [what, where] of created) lines.push(`  ${what.padEnd(20)}${where}`);
  }

  if (input.fallbacks.length > 0) {
    lines.push('');
    for (const fallback of input.fallbacks) lines.push(`Note: ${fallback.message}`);
  }

  lines.push('', 'Listening:');
  for (const [key, title] of rows) {
    const url = endpoints[key];
    if (url !== undefined) lines.push(`  ${title.padEnd(20)}${url}`);
  }

  lines.push('', 'Try it:');
  if (input.ports.mqtt !== undefined) {
    lines.push(`  mosquitto_sub -V mqttv5 -h 127.0.0.1 -p ${input.ports.mqtt} -t 'demo/#' -v`);
    lines.push(`  mosquitto_pub -V mqttv5 -h 127.0.0.1 -p ${input.ports.mqtt} -t demo/hello -m 'Hello, Gatehouse'`);
  }
  const home = firstRun.home === defaultHomeOf() ? '' : ` --home ${shellQuote(firstRun.home)}`;
  if (endpoints.admin !== undefined) lines.push(`  gatehouse clients list${home}`);
  if (input.ports.mqtts !== undefined && endpoints.admin !== undefined) {
    // The TLS listeners want each agent's own certificate: the onboarding steps are in the README.
    lines.push(`  gatehouse tokens create --thing agent-1${home}   # then an agent trades it and a CSR for a certificate`);
    lines.push(`  mosquitto_sub -V mqttv5 -h localhost -p ${input.ports.mqtts} --cafile ${shellQuote(endpoints.ca)} --cert agent.pem --key agent.key -t 'demo/#' -v`);
  }
  lines.push('');
  return `${lines.join('\n')}\n`;
}

function defaultHomeOf(): string {
  return `${process.cwd()}/.gatehouse`;
}

function shellQuote(value: string): string {
  return /^[\w./:@%+=,-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}
