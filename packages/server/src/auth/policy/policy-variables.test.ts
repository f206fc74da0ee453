import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { anyChar, anyRun } from './glob-matcher.js';
import type { PolicyContext } from './policy-context.js';
import { bindGlob, bindText, parseTemplate, type TemplatePart } from './policy-template.js';
import { parsePolicyKey, resolveConnectionKey, resolveRequestKey, substitutionText, type PolicyKey } from './policy-variables.js';

const context: PolicyContext = {
  tenant: 'acme',
  clientId: 'agent-7',
  sourceIp: '203.0.113.9',
  thingName: 'agent-7',
  thingTypeName: 'gateway',
  thingAttributes: { site: 'lyon', empty: '' },
  isAttached: true,
  certificateId: 'ab12',
  certificate: {
    subject: {
      attributes: { CommonName: ['agent-7'], Organization: ['acme', 'acme-eu'], OrganizationalUnit: ['ops*'], Country: ['FR', 'DE', 'IT', 'ES', 'PT', 'NL'] },
      alternativeNames: { DNSName: ['agent-7.example.com'], IPAddress: ['10.0.0.7'] },
    },
    issuer: { attributes: { CommonName: ['Gatehouse CA'] } },
    serialNumber: '9212',
    notAfter: Date.UTC(2030, 0, 1),
  },
  now: Date.UTC(2025, 5, 1),
};

const key = (name: string): PolicyKey => {
  const parsed = parsePolicyKey(name);
  assert.equal(typeof parsed, 'object', `${name}: ${String(parsed)}`);
  return parsed as PolicyKey;
};
const parts = (text: string): TemplatePart[] => {
  const parsed = parseTemplate(text, { variables: true });
  assert.ok(Array.isArray(parsed), String(parsed));
  return parsed;
};

describe('policy variables', () => {
  it('resolve the basic, thing and certificate variables of AWS IoT', () => {
    assert.equal(resolveConnectionKey(key('iot:ClientId'), context), 'agent-7');
    assert.equal(resolveConnectionKey(key('aws:SourceIp'), context), '203.0.113.9');
    assert.equal(resolveConnectionKey(key('iot:Connection.Thing.ThingName'), context), 'agent-7');
    assert.equal(resolveConnectionKey(key('iot:Connection.Thing.ThingTypeName'), context), 'gateway');
    assert.equal(resolveConnectionKey(key('iot:Connection.Thing.Attributes[site]'), context), 'lyon');
    assert.equal(resolveConnectionKey(key('iot:Connection.Thing.Attributes[missing]'), context), undefined);
    assert.equal(resolveConnectionKey(key('iot:Connection.Thing.IsAttached'), context), 'true');
    assert.equal(resolveConnectionKey(key('iot:CertificateId'), context), 'ab12');
    assert.equal(resolveConnectionKey(key('iot:Certificate.Subject.CommonName'), context), 'agent-7');
    assert.equal(resolveConnectionKey(key('iot:Certificate.Issuer.CommonName'), context), 'Gatehouse CA');
    assert.equal(resolveConnectionKey(key('iot:Certificate.SerialNumber'), context), '9212');
    assert.equal(resolveConnectionKey(key('iot:Certificate.Subject.AlternativeName.DNSName'), context), 'agent-7.example.com');
    assert.equal(resolveConnectionKey(key('iot:Certificate.NotAfter'), context), '2030-01-01T00:00:00.000Z');
  });

  it('read multi-valued certificate fields as first value, by index, or as a list of at most five', () => {
    assert.equal(resolveConnectionKey(key('iot:Certificate.Subject.Organization'), context), 'acme');
    assert.equal(resolveConnectionKey(key('iot:Certificate.Subject.Organization.1'), context), 'acme-eu');
    assert.equal(resolveConnectionKey(key('iot:Certificate.Subject.Organization.2'), context), undefined);
    assert.deepEqual(resolveConnectionKey(key('iot:Certificate.Subject.Organization.List'), context), ['acme', 'acme-eu']);
    assert.deepEqual(resolveConnectionKey(key('iot:Certificate.Subject.Country.List'), context), ['FR', 'DE', 'IT', 'ES', 'PT']);
    assert.match(String(parsePolicyKey('iot:Certificate.Subject.Country.5')), /only the first 5 values/);
  });

  it('take names case-insensitively, except the attribute name', () => {
    assert.deepEqual(parsePolicyKey('IOT:CLIENTID'), { kind: 'clientId' });
    assert.deepEqual(parsePolicyKey('iot:connection.thing.attributes[Site]'), { kind: 'thingAttribute', name: 'Site' });
    assert.deepEqual(parsePolicyKey('iot:certificate.subject.commonname'), { kind: 'certificateName', side: 'subject', attribute: 'CommonName', index: 0 });
  });

  it('refuse unknown names, and keep AWS names Gatehouse never sets as always absent', () => {
    assert.match(String(parsePolicyKey('iot:Connection.Thing.Thingname2')), /unknown policy variable/);
    assert.match(String(parsePolicyKey('iot:Certificate.Subject.Nickname')), /unknown certificate attribute/);
    assert.match(String(parsePolicyKey('iot:Certificate.Subject.AlternativeName.Email')), /unknown alternative name/);
    assert.equal(resolveConnectionKey(key('aws:SourceVpc'), context), undefined);
  });

  it('are absent when the context lacks them', () => {
    const bare: PolicyContext = { tenant: 'acme', clientId: '', now: 0 };
    for (const name of ['iot:ClientId', 'iot:Connection.Thing.ThingName', 'iot:Connection.Thing.IsAttached', 'iot:Certificate.Subject.CommonName', 'aws:SourceIp']) {
      assert.equal(resolveConnectionKey(key(name), bare), undefined, name);
    }
  });

  it('give request keys from the request, time falling back to the bind time', () => {
    assert.equal(resolveRequestKey(key('aws:CurrentTime'), undefined, 5), 5);
    assert.equal(resolveRequestKey(key('aws:EpochTime'), { now: 9 }, 5), 9);
    assert.equal(resolveRequestKey(key('iot:LastWillTopic'), { lastWillTopic: 'will/a' }, 0), 'will/a');
    assert.deepEqual(resolveRequestKey(key('iot:ConnectAttributes'), { connectAttributes: ['LastWill'] }, 0), ['LastWill']);
  });

  it('do not substitute certificate values with * $ + ? # in them, nor empty values (AWS)', () => {
    assert.equal(substitutionText(key('iot:Certificate.Subject.OrganizationalUnit'), context), undefined);
    assert.equal(substitutionText(key('iot:Connection.Thing.Attributes[empty]'), context), undefined);
    assert.equal(substitutionText(key('iot:Certificate.Subject.CommonName'), context), 'agent-7');
    // A client id is substituted whatever it holds (AWS warns that a client "+" widens topic filters).
    assert.equal(substitutionText(key('iot:ClientId'), { ...context, clientId: '+' }), '+');
  });
});

describe('policy templates', () => {
  it('split text into literal text, wildcards and variables', () => {
    assert.deepEqual(bindGlob(parts('topic/${iot:ClientId}/*/?'), context), ['topic/', 'agent-7', '/', anyRun, '/', anyChar]);
    assert.equal(bindText(parts('a*b?${iot:ClientId}'), context), 'a*b?agent-7');
  });

  it('turn ${*}, ${?} and ${$} into literal characters', () => {
    assert.deepEqual(bindGlob(parts('a${*}b${?}c${$}d'), context), ['a*b?c$d']);
  });

  it('keep substituted values literal: a client id "a*" is no wildcard', () => {
    assert.deepEqual(bindGlob(parts('topic/${iot:ClientId}'), { ...context, clientId: 'a*' }), ['topic/', 'a*']);
  });

  it('bind to undefined when a variable does not resolve', () => {
    assert.equal(bindGlob(parts('topic/${iot:Connection.Thing.ThingTypeName}'), { tenant: 'acme', now: 0 }), undefined);
    assert.equal(bindText(parts('${iot:Connection.Thing.Attributes[nope]}'), context), undefined);
  });

  it('refuse unterminated, unknown, list and per-request variables, and any variable under 2008-10-17', () => {
    assert.match(String(parseTemplate('a/${iot:ClientId', { variables: true })), /unterminated/);
    assert.match(String(parseTemplate('${iot:Nope}', { variables: true })), /unknown policy variable/);
    assert.match(String(parseTemplate('${iot:Certificate.Subject.Organization.List}', { variables: true })), /is a list/);
    assert.match(String(parseTemplate('${aws:CurrentTime}', { variables: true })), /every request/);
    assert.match(String(parseTemplate('${iot:ClientId}', { variables: false })), /2012-10-17/);
    assert.deepEqual(parseTemplate('a${*}', { variables: false }), [{ kind: 'text', text: 'a*' }]);
  });
});
