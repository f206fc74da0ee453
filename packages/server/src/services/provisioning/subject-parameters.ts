/**
 * The JITP template parameters AWS defines, read from a certificate's subject:
 * `AWS::IoT::Certificate::{CommonName, Country, Organization, OrganizationalUnit,
 * DistinguishedNameQualifier, StateName, SerialNumber}` (`::Id` is the certificate's id, not a field).
 */

/** Subject field short names, as Node's `X509Certificate.subject` writes them, and the parameter each fills. */
const SUBJECT_PARAMETERS: Readonly<Record<string, string>> = {
  CN: 'AWS::IoT::Certificate::CommonName',
  C: 'AWS::IoT::Certificate::Country',
  O: 'AWS::IoT::Certificate::Organization',
  OU: 'AWS::IoT::Certificate::OrganizationalUnit',
  dnQualifier: 'AWS::IoT::Certificate::DistinguishedNameQualifier',
  ST: 'AWS::IoT::Certificate::StateName',
  serialNumber: 'AWS::IoT::Certificate::SerialNumber',
};

/**
 * Reads the subject parameters from Node's subject text (one `KEY=value` a line, `\,` and the like
 * escaped). A field that occurs twice gives its first value; fields JITP does not define are left out.
 *
 * @example
 * subjectParameters('C=US\nO=Acme\\, Inc.\nCN=bulb-1');
 * // { 'AWS::IoT::Certificate::Country': 'US', 'AWS::IoT::Certificate::Organization': 'Acme, Inc.', 'AWS::IoT::Certificate::CommonName': 'bulb-1' }
 */
export function subjectParameters(subject: string): Record<string, string> {
  const parameters: Record<string, string> = {};
  for (const line of subject.split('\n')) {
    const equals = line.indexOf('=');
    if (equals <= 0) continue;
    const parameter = SUBJECT_PARAMETERS[line.slice(0, equals)];
    if (parameter === undefined || parameter in parameters) continue;
    parameters[parameter] = line.slice(equals + 1).replace(/\\(.)/g, '$1');
  }
  return parameters;
}
