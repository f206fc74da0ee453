/** Turns schema failures into messages that name the setting and say what was expected. */
import type { TSchema } from '@sinclair/typebox';
import { GatehouseError } from '../core/index.js';

/** A dotted key path, e.g. `limits.maxInflight`. */
export function keyPath(segments: readonly string[]): string {
  return segments.join('.');
}

/** "an integer >= 1", "one of "sqlite", "memory", "postgres"", ... for a leaf schema. */
export function describeExpected(schema: TSchema): string {
  if (typeof schema['expected'] === 'string') return schema['expected'] as string;
  if (Array.isArray(schema.anyOf)) {
    const values = (schema.anyOf as TSchema[]).map((member) => JSON.stringify(member.const));
    return `one of ${values.join(', ')}`;
  }
  switch (schema.type) {
    case 'integer':
    case 'number': {
      const noun = schema.type === 'integer' ? 'an integer' : 'a number';
      const min = schema.minimum as number | undefined;
      const max = schema.maximum as number | undefined;
      if (min !== undefined && max !== undefined) return `${noun} from ${min} to ${max}`;
      if (min !== undefined) return `${noun} >= ${min}`;
      if (max !== undefined) return `${noun} <= ${max}`;
      return noun;
    }
    case 'boolean':
      return 'true or false';
    case 'string':
      return schema.minLength === 1 ? 'a non-empty string' : 'a string';
    case 'array':
      return 'a list of strings';
    case 'object':
      return 'a map of settings';
    default:
      return 'a valid value';
  }
}

export function formatValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  return JSON.stringify(value) ?? String(value);
}

/** CONFIG_INVALID with a reason, and where the bad value came from when known. */
export function configError(reason: string, source?: string): GatehouseError {
  return new GatehouseError('CONFIG_INVALID', { reason: source === undefined ? reason : `${reason} (from ${source})` });
}

export function unknownSettingError(segments: readonly string[], known: readonly string[], source: string): GatehouseError {
  return configError(`Unknown setting "${keyPath(segments)}" (known: ${known.join(', ')})`, source);
}
