/**
 * The wire surface of fleet provisioning by claim, as AWS IoT names it: three request topics, each
 * answered on its `/accepted` or `/rejected` subtopic, in JSON or CBOR by the topic's last level.
 *
 *   $aws/certificates/create/{format}                          CreateKeysAndCertificate
 *   $aws/certificates/create-from-csr/{format}                 CreateCertificateFromCsr
 *   $aws/provisioning-templates/{template}/provision/{format}  RegisterThing
 */

/** The filters the service subscribes to; answers (one level deeper) never match them. */
export const FLEET_PROVISIONING_FILTERS = [
  '$aws/certificates/create/+',
  '$aws/certificates/create-from-csr/+',
  '$aws/provisioning-templates/+/provision/+',
] as const;

/** The payload formats AWS defines; Gatehouse reads JSON only and answers CBOR requests with a rejection. */
export type PayloadFormat = 'json' | 'cbor';

/** A request topic, parsed. */
export type ProvisioningRequestTopic =
  | { readonly kind: 'create-keys-and-certificate'; readonly topic: string; readonly format: PayloadFormat }
  | { readonly kind: 'create-certificate-from-csr'; readonly topic: string; readonly format: PayloadFormat }
  | { readonly kind: 'register-thing'; readonly topic: string; readonly format: PayloadFormat; readonly templateName: string };

/**
 * Reads a request topic; undefined for any other topic, an unknown format included (AWS answers
 * nothing there either).
 *
 * @example
 * parseProvisioningTopic('$aws/provisioning-templates/factory/provision/json');
 * // { kind: 'register-thing', topic: '…/provision/json', format: 'json', templateName: 'factory' }
 */
export function parseProvisioningTopic(topic: string): ProvisioningRequestTopic | undefined {
  const levels = topic.split('/');
  if (levels[0] !== '$aws') return undefined;
  const format = levels[levels.length - 1];
  if (format !== 'json' && format !== 'cbor') return undefined;
  if (levels.length === 4 && levels[1] === 'certificates') {
    if (levels[2] === 'create') return { kind: 'create-keys-and-certificate', topic, format };
    if (levels[2] === 'create-from-csr') return { kind: 'create-certificate-from-csr', topic, format };
    return undefined;
  }
  if (levels.length === 5 && levels[1] === 'provisioning-templates' && levels[3] === 'provision' && levels[2] !== '') {
    return { kind: 'register-thing', topic, format, templateName: levels[2]! };
  }
  return undefined;
}

/** Where the answer to a request goes. */
export function answerTopic(request: ProvisioningRequestTopic, outcome: 'accepted' | 'rejected'): string {
  return `${request.topic}/${outcome}`;
}
