/** Services on top of the broker and the stores; each subfolder owns one (provisioning, authorization, shadow, presence). */
export * from './provisioning/index.js';
export * from './authorization/index.js';
export * from './shadow/index.js';
export * from './presence/index.js';
export * from './registry/index.js';
