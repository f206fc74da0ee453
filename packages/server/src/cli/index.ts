/** The `gatehouse` CLI's admin commands; they talk to the admin REST API only. */
export { registerAdminCommands } from './register-admin-commands.js';
export { AdminClient, AdminApiError, CliError, type AdminClientOptions } from './admin-client.js';
export { resolveConnection, type Connection, type ConnectionFlags } from './resolve-connection.js';
