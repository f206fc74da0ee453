/**
 * The token and password connect methods the configuration asks for (`auth.authorizers`,
 * `auth.passwordsFile`). Their files are read once, at start: a bad one stops the start with an
 * error naming it.
 */
import { createPasswordAuthenticator, createTokenAuthenticator, loadAuthorizerKeys, loadPasswordFile, type TokenAuthorizer } from '../auth/index.js';
import { GatehouseError, type Logger } from '../core/index.js';
import type { GatehouseConfig } from './config.js';
import type { ConnectHook } from './connect-auth.js';

/**
 * Tokens first, then passwords; each is left out when nothing is configured for it.
 *
 * @example
 * const methods = await createCredentialMethods(config, logger);
 * const connect = createConnectAuth({ config, identity, logger, methods });
 */
export async function createCredentialMethods(config: GatehouseConfig, logger: Logger): Promise<ConnectHook[]> {
  const auth = logger.child({ component: 'auth' });
  const methods: ConnectHook[] = [];
  const names = config.auth.authorizers.map((authorizer) => authorizer.name);
  const repeated = names.find((name, index) => names.indexOf(name) !== index);
  if (repeated !== undefined) throw new GatehouseError('CONFIG_INVALID', { reason: `auth.authorizers names "${repeated}" twice; each authorizer needs its own name` });
  const authorizers: TokenAuthorizer[] = await Promise.all(
    config.auth.authorizers.map(async (authorizer, index) => ({
      name: authorizer.name,
      keys: await loadAuthorizerKeys(authorizer.keysFile, `auth.authorizers[${index}] ("${authorizer.name}") keysFile`),
      tokenKeyName: authorizer.tokenKeyName,
      ...(authorizer.issuer === undefined ? {} : { issuer: authorizer.issuer }),
      ...(authorizer.audience === undefined ? {} : { audience: authorizer.audience }),
      tenantClaim: authorizer.tenantClaim,
      thingClaim: authorizer.thingClaim,
    })),
  );
  if (authorizers.length > 0) methods.push(createTokenAuthenticator({ authorizers, defaultTenant: config.identity.defaultTenant, logger: auth }));
  if (config.auth.passwordsFile !== undefined) {
    const users = await loadPasswordFile(config.auth.passwordsFile);
    methods.push(createPasswordAuthenticator({ users, defaultTenant: config.identity.defaultTenant, logger: auth }));
  }
  return methods;
}
