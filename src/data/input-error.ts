/** Where in a user's file a problem is: the file's name and, when known, its 1-based line and column. */
export interface InputLocation {
  file: string;
  line?: number;
  column?: number;
  /** The column's name from the header, when it has one. */
  columnName?: string;
}

/**
 * Bad input data (a malformed or inconsistent file): the message names the file, line, column and the problem,
 * one line, so a command can print it without a stack trace.
 */
export class InputError extends Error {
  readonly location: InputLocation;
  constructor(location: InputLocation, problem: string) {
    super(`${describeLocation(location)}: ${problem}`);
    this.name = 'InputError';
    this.location = location;
  }
}

/** "file, line 3, column 2 (rating)": a location as it appears at the start of an InputError message. */
export function describeLocation(loc: InputLocation): string {
  let out = loc.file;
  if (loc.line !== undefined) out += `, line ${loc.line}`;
  if (loc.column !== undefined) out += `, column ${loc.column}${loc.columnName ? ` (${loc.columnName})` : ''}`;
  return out;
}
