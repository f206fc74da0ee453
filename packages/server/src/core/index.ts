export * from './errors.js';
export * from './logger.js';
export type * from './peer-info.js';
export * from './poll-loop.js';
