import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../core/index.js';
import { ReasonCode } from '../mqtt/index.js';
import { awsDisconnectReason, DISCONNECT_REASONS, LifecycleEmitter, type LifecycleEvent } from './lifecycle.js';

describe('awsDisconnectReason', () => {
  it('maps every way a connection ends in the broker to one of AWS\'s values', () => {
    const cases: Array<[string, number, string]> = [
      ['client-disconnect', 0, 'CLIENT_INITIATED_DISCONNECT'],
      ['socket-closed', 0, 'CONNECTION_LOST'],
      ['takeover', ReasonCode.SessionTakenOver, 'DUPLICATE_CLIENTID'],
      ['keepalive-timeout', ReasonCode.KeepAliveTimeout, 'MQTT_KEEP_ALIVE_TIMEOUT'],
      ['slow-consumer', ReasonCode.QuotaExceeded, 'THROTTLED'],
      ['shutdown', ReasonCode.ServerShuttingDown, 'SERVER_INITIATED_DISCONNECT'],
      ['admin', ReasonCode.AdministrativeAction, 'API_INITIATED_DISCONNECT'],
      ['certificate-revoked', ReasonCode.NotAuthorized, 'AUTH_ERROR'],
      ['certificate-expired', ReasonCode.NotAuthorized, 'AUTH_ERROR'],
      ['protocol-error', ReasonCode.NotAuthorized, 'AUTH_ERROR'],
      ['protocol-error', ReasonCode.PacketTooLarge, 'CLIENT_ERROR'],
      ['protocol-error', ReasonCode.MalformedPacket, 'CLIENT_ERROR'],
      ['protocol-error', ReasonCode.ProtocolError, 'CLIENT_ERROR'],
      ['protocol-error', ReasonCode.TopicAliasInvalid, 'CLIENT_ERROR'],
      ['protocol-error', ReasonCode.MessageRateTooHigh, 'THROTTLED'],
      ['protocol-error', ReasonCode.ImplementationSpecificError, 'SERVER_ERROR'],
      ['protocol-error', ReasonCode.Banned, 'FORBIDDEN_ACCESS'],
      ['some-new-close', ReasonCode.AdministrativeAction, 'SERVER_INITIATED_DISCONNECT'],
      ['some-new-close', 0, 'UNKNOWN'],
    ];
    for (const [label, code, expected] of cases) {
      const reason = awsDisconnectReason(label, code);
      assert.equal(reason, expected, `${label} 0x${code.toString(16)}`);
      assert.ok(DISCONNECT_REASONS.includes(reason));
    }
    assert.equal(DISCONNECT_REASONS.length, 15);
  });
});

describe('LifecycleEmitter', () => {
  it('is active only while a listener is registered, and a throwing listener does not stop the others', () => {
    const emitter = new LifecycleEmitter(silentLogger());
    assert.equal(emitter.active, false);
    const seen: string[] = [];
    const stopBad = emitter.on(() => {
      throw new Error('boom');
    });
    const stopGood = emitter.on((event) => seen.push(event.clientId));
    assert.equal(emitter.active, true);
    const event: LifecycleEvent = { kind: 'subscribed', clientId: 'a', sessionKey: 't/a', sessionId: 's', at: 1, topics: ['x'] };
    emitter.emit(event);
    assert.deepEqual(seen, ['a']);
    stopBad();
    assert.equal(emitter.active, true);
    stopGood();
    assert.equal(emitter.active, false);
    emitter.emit(event);
    assert.deepEqual(seen, ['a']);
  });

  it('gives version numbers that grow even when the clock stands still or goes back', () => {
    const emitter = new LifecycleEmitter(silentLogger());
    const versions = [emitter.nextVersion(1000), emitter.nextVersion(1000), emitter.nextVersion(999), emitter.nextVersion(5000)];
    assert.deepEqual(versions, [1000, 1001, 1002, 5000]);
  });
});
