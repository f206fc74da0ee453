import assert from 'node:assert/strict';
import { it } from 'node:test';
import { subjectParameters } from './subject-parameters.js';

it('reads every JITP subject parameter, unescaping values and keeping the first of a repeated field', () => {
  const subject = 'C=US\nST=Washington\nL=Seattle\nO=Acme\\, Inc.\nOU=Bulbs\nOU=Second\nCN=bulb-1\nserialNumber=SN123\ndnQualifier=q1\nemailAddress=a@b';
  assert.deepEqual(subjectParameters(subject), {
    'AWS::IoT::Certificate::Country': 'US',
    'AWS::IoT::Certificate::StateName': 'Washington',
    'AWS::IoT::Certificate::Organization': 'Acme, Inc.',
    'AWS::IoT::Certificate::OrganizationalUnit': 'Bulbs',
    'AWS::IoT::Certificate::CommonName': 'bulb-1',
    'AWS::IoT::Certificate::SerialNumber': 'SN123',
    'AWS::IoT::Certificate::DistinguishedNameQualifier': 'q1',
  });
  assert.deepEqual(subjectParameters(''), {});
});
