/** Options the registry commands share: repeated `--attribute name=value`, a tenant's registry paths, the page options and `--expected-version`. */
import { InvalidArgumentError, type Command } from 'commander';
import { parsePositiveInt } from './admin-command.js';

/**
 * Commander's collector for a repeated `--attribute name=value`; `name=` (empty) is kept, as it removes
 * the attribute when merging.
 *
 * @example
 * command.option('--attribute <name=value>', 'an attribute (repeat it)', collectAttribute, {});
 */
export function collectAttribute(value: string, previous: Record<string, string>): Record<string, string> {
  const at = value.indexOf('=');
  if (at < 1) throw new InvalidArgumentError(`"${value}" is not name=value`);
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

/** Commander's collector for a repeated plain value. */
export function collectValue(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `/v1/tenants/{tenant}/{kind}[/{name}[/{rest}]]` for the command's `--tenant`, every part URL-encoded. */
export function registryPath(options: Readonly<Record<string, unknown>>, kind: string, ...parts: unknown[]): string {
  const tail = parts.filter((part) => part !== undefined).map((part) => `/${encodeURIComponent(String(part))}`).join('');
  return `/v1/tenants/${encodeURIComponent(String(options['tenant']))}/${kind}${tail}`;
}

/** `--limit` and `--cursor` of a registry list. */
export function pageOptions(command: Command): Command {
  return command
    .option('--limit <n>', 'items per page, 1-1000', parsePositiveInt, 100)
    .option('--cursor <cursor>', 'continue after this cursor (printed under a full page)');
}

/** The query string of `pageOptions` plus `extra`, with a leading `?`. */
export function pageQuery(options: Readonly<Record<string, unknown>>, extra: Readonly<Record<string, string | undefined>> = {}): string {
  const query = new URLSearchParams({ limit: String(options['limit'] ?? 100) });
  if (typeof options['cursor'] === 'string') query.set('cursor', options['cursor']);
  for (const [name, value] of Object.entries(extra)) if (value !== undefined) query.set(name, value);
  return `?${query}`;
}

/** A non-empty attribute map, or undefined when none was given. */
export function attributesOption(options: Readonly<Record<string, unknown>>): Record<string, string> | undefined {
  const attributes = options['attribute'] as Record<string, string> | undefined;
  return attributes === undefined || Object.keys(attributes).length === 0 ? undefined : attributes;
}

/**
 * Commander's parser for `--expected-version`: a whole number from 1, as registry versions are.
 *
 * @example
 * command.option('--expected-version <n>', 'refuse unless it is at this version', parseVersion);
 */
export function parseVersion(value: string): number {
  const version = Number(value);
  if (!Number.isInteger(version) || version < 1) throw new InvalidArgumentError(`"${value}" is not a version (a whole number from 1)`);
  return version;
}

/** `{expectedVersion}` to spread into an update's body, or nothing when `--expected-version` was not given. */
export function expectedVersionBody(options: Readonly<Record<string, unknown>>): { expectedVersion?: number } {
  return typeof options['expectedVersion'] === 'number' ? { expectedVersion: options['expectedVersion'] } : {};
}

/** `?expectedVersion=N` for a DELETE, or '' when `--expected-version` was not given. */
export function expectedVersionQuery(options: Readonly<Record<string, unknown>>): string {
  return typeof options['expectedVersion'] === 'number' ? `?expectedVersion=${options['expectedVersion']}` : '';
}
