/**
 * `gatehouse-agent diagnose`: a step-by-step check of everything between an agent and its MQTT
 * session, naming the failing step, its cause, and what to ask the firewall or proxy admin for.
 */
export { runDiagnosis } from './run-diagnosis.ts';
export { formatDiagnosis, STEP_TITLES } from './format-diagnosis.ts';
export { registerDiagnoseCommand } from './register-diagnose-command.ts';
export { DIAGNOSIS_STEPS, type DiagnosisOptions, type DiagnosisReport, type DiagnosisStatus, type DiagnosisStep, type DiagnosisStepName } from './diagnosis-types.ts';
