export * from './codec.js';
export * from './packet-reader.js';
export * from './protocol-error.js';
export * from './publish-codec.js';
export * from './reason-codes.js';
