/** Compact aligned text output for humans: tables and key/value blocks. */

export type Cell = string | number | boolean | undefined;

/**
 * Columns separated by two spaces; numeric columns right-aligned; the last column is not padded.
 *
 * @example
 * formatTable(['CLIENT ID', 'SUBS'], [['agent-7', 3]]);
 * // CLIENT ID  SUBS
 * // agent-7       3
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = rows.map((row) => headers.map((_, i) => cellText(row[i])));
  const numeric = headers.map((_, i) => rows.some((row) => typeof row[i] === 'number') && rows.every((row) => typeof row[i] === 'number' || row[i] === undefined));
  const widths = headers.map((header, i) => Math.max(header.length, ...text.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => {
        const last = i === cells.length - 1;
        if (numeric[i]) return cell.padStart(widths[i]!);
        return last ? cell : cell.padEnd(widths[i]!);
      })
      .join('  ')
      .trimEnd();
  return [line(headers), ...text.map(line)].join('\n') + '\n';
}

/** `key: value` lines with the values aligned. */
export function formatFields(fields: readonly (readonly [string, Cell])[]): string {
  const width = Math.max(0, ...fields.map(([key]) => key.length + 1));
  return fields.map(([key, value]) => `${`${key}:`.padEnd(width)}  ${cellText(value)}`).join('\n') + '\n';
}

function cellText(value: Cell): string {
  if (value === undefined) return '-';
  return String(value);
}
