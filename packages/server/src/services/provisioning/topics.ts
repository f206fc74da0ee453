/**
 * The wire surface of fleet provisioning by claim, as AWS IoT names it: three request topics, each
 * answered on its `/accepted` or `/rejected` subtopic, in JSON or CBOR by the topic's last level.
 *
 *   $aws/certificates/create/{format}                          CreateKeysAndCertificate
 *   $aws/certificates/create-from-csr/{format}                 CreateCertificateFromCsr
 *   $aws/provisioning-templates/{template}/provision/{format}  RegisterThing
 */
import { localTopic } from '../../broker/index.js';

/**
 * The filters the service subscribes to, in every tenant (`$tenants/+/`: the broker keeps each
 * tenant's topics under its prefix); answers (one level deeper) never match them.
 */
export const FLEET_PROVISIONING_FILTERS = [
  '$tenants/+/$aws/certificates/create/+',
  '$tenants/+/$aws/certificates/create-from-csr/+',
  '$tenants/+/$aws/provisioning-templates/+/provision/+',
] as const;

/** The payload formats AWS defines; Gatehouse reads JSON only and answers CBOR requests with a rejection. */
export type PayloadFormat = 'json' | 'cbor';

/** A request topic, parsed. */
export type ProvisioningRequestTopic =
  | { readonly kind: 'create-keys-and-certificate'; readonly topic: string; readonly format: PayloadFormat }
  | { readonly kind: 'create-certificate-from-csr'; readonly topic: string; readonly format: PayloadFormat }
  | { readonly kind: 'register-thing'; readonly topic: string; readonly format: PayloadFormat; readonly templateName: string };

/**
 * Reads a request topic (a tenant's own name, or the broker's `$tenants/{tenant}/...` name); undefined for any other topic, an unknown format included (AWS answers
 * nothing there either).
 *
 * @example
 * parseProvisioningTopic('$aws/provisioning-templates/factory/provision/json');
 * // { kind: 'register-thing', topic: '…/provision/json', format: 'json', templateName: 'factory' }
 */
export function parseProvisioningTopic(topic: string): ProvisioningRequestTopic | undefined {
  // `topic` stays the broker's full name, so the answer goes back inside the same tenant.
  const levels = localTopic(topic).split('/');
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
