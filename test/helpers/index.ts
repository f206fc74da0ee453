/** Shared helpers for black-box tests; import them from here. */
export { startGatehouse, startGatehouseProcess, type GatehouseProcess, type StartGatehouseOptions, type TestGatehouse } from './start-gatehouse.ts';
export { RawMqtt, RawMqttTimeout, type RawMqttOptions, type RawProtocolVersion } from './raw-mqtt.ts';
