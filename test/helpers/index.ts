/** Shared helpers for black-box tests; import them from here. */
export { startGatehouse, startGatehouseProcess, type GatehouseProcess, type StartGatehouseOptions, type TestGatehouse } from './start-gatehouse.ts';
export { RawMqtt, RawMqttTimeout, type RawMqttOptions, type RawProtocolVersion } from './raw-mqtt.ts';
export { startTestBroker, type TestBroker, type TestBrokerOptions } from './test-broker.ts';
export { assertHealthy, startBystander, type Bystander } from './bystander.ts';
export {
  assertQuiet, collect, connectWith, expectClose, nextPacketId, open, persistentConnect, publishAcked, publishPacket, QUIET_MS, subscribe,
  type OpenOptions, type PublishAckedOptions, type PublishOptions, type SubscribeOptions,
} from './mqtt-kit.ts';
export { connectClient, subackCodes } from './connect-client.ts';
export { sleep, waitFor } from './wait.ts';
export { httpRequest, type HttpTextAnswer, type HttpRequestOptions } from './http-request.ts';
export { missingTools } from './system-tools.ts';
export { freePort } from './free-port.ts';
export { findTinyproxy, skipWithoutTinyproxy, startForwardProxy, type ForwardProxy, type ForwardProxyOptions } from './forward-proxy.ts';
