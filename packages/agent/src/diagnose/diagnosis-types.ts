/** The shapes `runDiagnosis` takes and gives: its options, each step's verdict and the report. */
import type { TlsMaterial } from '../open-transport.ts';
import type { ProxyEnvironment } from '../proxy-for-url.ts';

/** The steps, in the order they run: each needs the ones before it. */
export const DIAGNOSIS_STEPS = ['dns', 'proxy', 'tcp', 'tls', 'clock', 'client-certificate', 'mqtt-connect', 'subscribe', 'round-trip'] as const;

export type DiagnosisStepName = (typeof DIAGNOSIS_STEPS)[number];

/** `skipped`: not applicable here (no proxy) or not reachable because an earlier step failed. */
export type DiagnosisStatus = 'pass' | 'warn' | 'fail' | 'skipped';

/** One step's verdict. */
export interface DiagnosisStep {
  readonly step: DiagnosisStepName;
  readonly status: DiagnosisStatus;
  /** What was found, in plain words: the cause when it failed or warned. */
  readonly cause: string;
  /** What to ask for and from whom (`Ask the firewall admin to allow outbound TCP 443 to 203.0.113.10`). */
  readonly ask?: string;
  readonly durationMs: number;
}

/** What `runDiagnosis` found. */
export interface DiagnosisReport {
  readonly endpoint: string;
  /** No step failed (warnings allowed). */
  readonly ok: boolean;
  /** The first step that failed; the ones after it are skipped. */
  readonly failedStep?: DiagnosisStepName;
  readonly steps: readonly DiagnosisStep[];
}

/** What to check. */
export interface DiagnosisOptions {
  /** `mqtts://host:port` or `wss://host:port/path`. */
  readonly endpoint: string | URL;
  /** The agent's certificate, key and the CA it trusts for the server (its Gatehouse CA). */
  readonly tls: TlsMaterial;
  /** First two levels of the agent's own topics, `{customer}/{device}/...`; without them subscribe and round trip are skipped. */
  readonly customer?: string;
  readonly device?: string;
  /** MQTT client id; `{device}-diagnose` by default, so a running agent's session is left alone. */
  readonly clientId?: string;
  /** MQTT version for the CONNECT; 5 by default (its CONNACK carries the server's reason). */
  readonly protocolVersion?: 4 | 5;
  /** A proxy URL, or false for none; else from `env`'s HTTPS_PROXY and NO_PROXY. */
  readonly proxy?: string | false;
  /** Where HTTPS_PROXY and NO_PROXY are read; `process.env` by default. */
  readonly env?: ProxyEnvironment;
  /** Bound on each network step; 10 s by default. */
  readonly timeoutMs?: number;
  /** This machine's clock; `Date.now` by default. Tests inject a wrong one. */
  readonly now?: () => number;
}
