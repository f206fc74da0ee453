/** The human form of a diagnosis report: one line per step, the cause, and what to ask for. */
import type { DiagnosisReport, DiagnosisStatus, DiagnosisStepName } from './diagnosis-types.ts';

export const STEP_TITLES: Record<DiagnosisStepName, string> = {
  dns: 'DNS',
  proxy: 'Proxy',
  tcp: 'TCP connect',
  tls: 'TLS server certificate',
  clock: 'Clock',
  'client-certificate': 'Client certificate',
  'mqtt-connect': 'MQTT CONNECT',
  subscribe: 'Subscribe to own topics',
  'round-trip': 'Round trip',
};

const LABELS: Record<DiagnosisStatus, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skipped: 'SKIP' };

/**
 * Lines for a terminal or a ticket to IT.
 *
 * @example
 * process.stdout.write(formatDiagnosis(await runDiagnosis(options)));
 * // Diagnosis of mqtts://iot.example.com:443
 * //   PASS  DNS                      iot.example.com resolves to 203.0.113.10
 * //   FAIL  TCP connect              No answer from 203.0.113.10:443 within 10000 ms: a firewall ...
 * //         ask: Ask the firewall admin to allow outbound TCP 443 to 203.0.113.10
 */
export function formatDiagnosis(report: DiagnosisReport): string {
  const width = Math.max(...Object.values(STEP_TITLES).map((title) => title.length));
  const lines = [`Diagnosis of ${report.endpoint}`];
  for (const step of report.steps) {
    lines.push(`  ${LABELS[step.status]}  ${STEP_TITLES[step.step].padEnd(width)}  ${step.cause}`);
    if (step.ask !== undefined && step.status !== 'pass') lines.push(`${' '.repeat(8)}ask: ${step.ask}`);
  }
  lines.push(report.ok ? 'Result: every step passed' + (report.steps.some((s) => s.status === 'warn') ? ' (with warnings)' : '') : `Result: the ${STEP_TITLES[report.failedStep ?? 'dns']} step failed; fix that first`);
  return `${lines.join('\n')}\n`;
}
