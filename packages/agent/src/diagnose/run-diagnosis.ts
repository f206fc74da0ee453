/** Runs the diagnosis steps in order and collects their verdicts into a report. */
import { checkClientCertificate } from './check-client-certificate.ts';
import { checkClock } from './check-clock.ts';
import { checkDns } from './check-dns.ts';
import { checkMqttConnect, checkRoundTrip, checkSubscribe } from './check-mqtt.ts';
import { checkProxy } from './check-proxy.ts';
import { checkTcp } from './check-tcp.ts';
import { checkTls } from './check-tls.ts';
import { createDiagnosisContext, type DiagnosisContext, type Verdict } from './diagnosis-context.ts';
import { DIAGNOSIS_STEPS, type DiagnosisOptions, type DiagnosisReport, type DiagnosisStep, type DiagnosisStepName } from './diagnosis-types.ts';

const CHECKS: Record<DiagnosisStepName, (context: DiagnosisContext) => Verdict | Promise<Verdict>> = {
  dns: checkDns,
  proxy: checkProxy,
  tcp: checkTcp,
  tls: checkTls,
  clock: checkClock,
  'client-certificate': checkClientCertificate,
  'mqtt-connect': checkMqttConnect,
  subscribe: checkSubscribe,
  'round-trip': checkRoundTrip,
};

/**
 * Checks, step by step, everything between this machine and an MQTT session on its own topics: DNS,
 * the proxy, TCP, the server's TLS chain, the clock, the agent's certificate, CONNECT, SUBSCRIBE and
 * a message there and back. Each step needs the ones before it, so after the first failure the rest
 * are skipped, and that first failure is the one to act on. Throws a TypeError only for unusable
 * options (an endpoint that is not mqtts:// or wss://, a proxy that is not a URL); every network
 * failure is a step's verdict.
 *
 * @example
 * const report = await runDiagnosis({ endpoint: 'mqtts://iot.example.com:443', tls: { cert, key, ca }, customer: 'acme', device: 'pump-7' });
 * if (!report.ok) console.log(report.failedStep, report.steps.find((s) => s.status === 'fail')?.ask);
 */
export async function runDiagnosis(options: DiagnosisOptions): Promise<DiagnosisReport> {
  const context = createDiagnosisContext(options);
  const steps: DiagnosisStep[] = [];
  let failedStep: DiagnosisStepName | undefined;
  try {
    for (const step of DIAGNOSIS_STEPS) {
      if (failedStep !== undefined) {
        steps.push({ step, status: 'skipped', cause: `Not tried: the ${failedStep} step failed`, durationMs: 0 });
        continue;
      }
      const started = performance.now();
      let verdict: Verdict;
      try {
        verdict = await CHECKS[step](context);
      } catch (error) {
        // A step that throws is a bug in the diagnosis, reported as its verdict rather than lost.
        verdict = { status: 'fail', cause: `The ${step} check itself failed: ${(error as Error).message}` };
      }
      steps.push({ step, ...verdict, durationMs: Math.round(performance.now() - started) });
      if (verdict.status === 'fail') failedStep = step;
    }
  } finally {
    for (const cleanup of context.cleanups.splice(0).reverse()) {
      try {
        cleanup();
      } catch {
        // Closing what is already closed must not hide the report.
      }
    }
  }
  return { endpoint: context.url.href, ok: failedStep === undefined, ...(failedStep === undefined ? {} : { failedStep }), steps };
}
