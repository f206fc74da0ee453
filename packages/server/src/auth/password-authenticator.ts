/**
 * Username/password authentication for development: users from the passwords file, scrypt hashes,
 * one refusal ("Bad user name or password") for an unknown user and a wrong password alike.
 */
import type { Logger } from '../core/index.js';
import { ReasonCode } from '../mqtt/index.js';
import { deferDecision, denyDecision, type ConnectDecision, type CredentialConnectEvent } from './connect-decision.js';
import { parseMqttUsername } from './custom-authorizer.js';
import type { PasswordUser } from './password-file.js';
import { hashPassword, verifyPassword } from './password-hash.js';

export interface PasswordAuthenticatorOptions {
  readonly users: readonly PasswordUser[];
  readonly defaultTenant: string;
  readonly logger: Logger;
}

const badCredentials = 'Bad user name or password';

/**
 * Makes the connect hook. It defers unless the CONNECT carries both a username and a password, and
 * it leaves usernames that name a custom authorizer (`?x-amz-customauthorizer-name=…`) to the token
 * method. SDK metrics (`?SDK=JavaScript&Version=…`) are stripped before lookup. An unknown user or a
 * wrong password is refused with 0x86 (MQTT 3.1.1: return code 4); an unknown user still costs one
 * scrypt, so timing does not tell which usernames exist.
 *
 * @example
 * const passwords = createPasswordAuthenticator({ users: await loadPasswordFile(file), defaultTenant: 'default', logger });
 */
export function createPasswordAuthenticator(options: PasswordAuthenticatorOptions): (event: CredentialConnectEvent) => Promise<ConnectDecision> {
  const users = new Map(options.users.map((user) => [user.username, user]));
  // Hashed once, on the first unknown user: a stand-in to verify against.
  let decoy: Promise<string> | undefined;
  return async (event) => {
    if (event.username === undefined || event.password === undefined) return deferDecision;
    const parsed = parseMqttUsername(event.username);
    if (parsed.authorizer !== undefined || parsed.username === '') return deferDecision;
    const user = users.get(parsed.username);
    const password = event.password.toString('utf8');
    let matches = false;
    try {
      matches = await verifyPassword(password, user?.passwordHash ?? (await (decoy ??= hashPassword('decoy'))));
    } catch (error) {
      options.logger.warn({ clientId: event.clientId, username: parsed.username, err: error instanceof Error ? error.message : String(error) }, 'cannot check password');
    }
    if (user === undefined || !matches) {
      options.logger.info({ clientId: event.clientId, peer: event.peer.remoteAddress, username: parsed.username, reason: user === undefined ? 'unknown user' : 'wrong password' }, 'password refused');
      return denyDecision(ReasonCode.BadUserNameOrPassword, badCredentials);
    }
    return {
      kind: 'allow',
      principal: {
        kind: 'password',
        tenant: user.tenant ?? options.defaultTenant,
        ...(user.thing === undefined ? {} : { thingName: user.thing }),
        clientId: event.clientId,
        sourceIp: event.peer.remoteAddress,
        attributes: { username: user.username },
      },
    };
  };
}
