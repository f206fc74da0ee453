/** The contract suite every BrokerStore backend runs; for tests only. */
export { runBrokerStoreContract, type StoreHarness } from './broker-store.contract.js';
