/** A failure the user can act on: printed as one line, exit code 1, never with a stack. */

/**
 * Thrown by the commands for expected failures (bad input, refused registration, no connection).
 *
 * @example
 * throw new CliError('Cannot register: the token was already used');
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  /** The process exit code; 1 unless said otherwise. */
  readonly exitCode: number;
  constructor(message: string, options: ErrorOptions & { exitCode?: number } = {}) {
    super(message, options);
    this.exitCode = options.exitCode ?? 1;
  }
}
