export * from './codec.js';
export * from './protocol-error.js';
export * from './reason-codes.js';
export * from './publish-codec.js';
