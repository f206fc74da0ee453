/** Services on top of the broker and the stores; each subfolder owns one (provisioning, ...). */
export * from './provisioning/index.js';
export * from './authorization/index.js';
export * from './shadow/index.js';
