// The byte-level reading every format shares: chunks of bytes (or text) in, records or lines out, one at a time,
// with no whole-file string. CSV lines of plain ASCII without quotes (a ratings file) are split here; any other
// record (quotes, non-ASCII bytes, control characters, very long lines) goes to csv-parse alone, so what is read and
// every message stay those of reading the whole text with csv-parse (readCsvRecords).
import { parse, CsvError, type Options } from '#csv-parse-sync';
import { InputError } from '../input-error.ts';
import { MAX_LINE_CHARS, parseDecimal } from './csv.ts';

/** Text to read: a string, or chunks of UTF-8 bytes (or strings) in order, such as a file read piece by piece. */
export type TextSource = string | Iterable<Uint8Array | string>;

/** The same, or chunks that arrive asynchronously (a Node stream, `Response.body`, `Blob.stream()`). */
export type AsyncTextSource = TextSource | AsyncIterable<Uint8Array | string>;

/** How far reading has come: bytes consumed and lines seen. */
export interface ReadProgress {
  readonly bytes: number;
  readonly lines: number;
}

/** Options every streaming reader takes besides its format's own. */
export interface StreamOptions {
  /** Called after each chunk with the bytes and lines read so far. */
  onProgress?: (p: ReadProgress) => void;
}

const LF = 10;
const CR = 13;
const QUOTE = 34;
const COMMA = 44;

/** Bytes a CSV line may hold and still take the fast path (csv-parse counts characters; ASCII is one byte each). */
const FAST_LINE_BYTES = MAX_LINE_CHARS;

/**
 * Bytes a record or line may grow to before it is refused without finding its end: four per character of
 * MAX_LINE_CHARS (UTF-8's widest) plus slack, so no record csv-parse would accept is cut.
 */
export const MAX_PENDING_BYTES = 4 * MAX_LINE_CHARS + 64;

// Bytes of a fast CSV line: printable ASCII but the quote, and the tab. Anything else goes to csv-parse.
const PLAIN = new Uint8Array(256);
for (let b = 0x20; b < 0x7f; b++) PLAIN[b] = b === QUOTE ? 0 : 1;
PLAIN[9] = 1;

/** A growable byte buffer. */
class Bytes {
  data = new Uint8Array(1 << 12);
  length = 0;
  append(src: Uint8Array, start: number, end: number): void {
    const need = this.length + (end - start);
    if (need > this.data.length) {
      let cap = this.data.length;
      while (cap < need) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.data.subarray(0, this.length));
      this.data = next;
    }
    this.data.set(src.subarray(start, end), this.length);
    this.length = need;
  }
  clear(): void {
    this.length = 0;
    if (this.data.length > 1 << 20) this.data = new Uint8Array(1 << 12);
  }
}

const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** UTF-8 text of bytes [start, end); invalid sequences become U+FFFD, as Node's readFileSync(…, 'utf8') does. */
export function decodeBytes(bytes: Uint8Array, start: number, end: number): string {
  return decoder.decode(bytes.subarray(start, end));
}

/** Latin-1 text of ASCII bytes [start, end) (fast; callers make sure the bytes are ASCII). */
function asciiText(bytes: Uint8Array, start: number, end: number): string {
  const len = end - start;
  if (len < 64) {
    let s = '';
    for (let p = start; p < end; p++) s += String.fromCharCode(bytes[p]);
    return s;
  }
  return decoder.decode(bytes.subarray(start, end));
}

/** The chunks of a source as bytes: strings are encoded to UTF-8 a slice at a time (never split in a surrogate pair). */
export function* byteChunks(source: TextSource): Generator<Uint8Array> {
  if (typeof source === 'string') {
    yield* encodeText(source);
    return;
  }
  for (const chunk of source) {
    if (typeof chunk === 'string') yield* encodeText(chunk);
    else yield chunk;
  }
}

const encoder = new TextEncoder();

function* encodeText(text: string): Generator<Uint8Array> {
  const SLICE = 1 << 20;
  for (let at = 0; at < text.length;) {
    let end = Math.min(text.length, at + SLICE);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    yield encoder.encode(text.slice(at, end));
    at = end;
  }
}

/**
 * One CSV record handed to a reader's callback, valid only during the call: its 1-based line (where it ends, as
 * csv-parse counts) and its fields, trimmed. A fast line keeps byte ranges into the chunk; others hold strings.
 */
export class CsvRecordView {
  /** The line the record ends on. */
  line = 0;
  /** Number of fields. */
  count = 0;
  /** The fields as strings (records read by csv-parse), or null for a fast line (use the byte ranges). */
  strings: string[] | null = null;
  /** A fast line's bytes and each field's trimmed range [starts[c], ends[c]). */
  bytes: Uint8Array = new Uint8Array(0);
  starts = new Int32Array(16);
  ends = new Int32Array(16);

  /** Field c (0-based, < count) as a string. */
  field(c: number): string {
    if (this.strings) return this.strings[c];
    return asciiText(this.bytes, this.starts[c], this.ends[c]);
  }

  /** Whether field c is empty. */
  isEmpty(c: number): boolean {
    return this.strings ? this.strings[c] === '' : this.starts[c] === this.ends[c];
  }

  /** Field c read as parseDecimal does (null when it is not a finite decimal); plain short decimals skip the string. */
  decimal(c: number): number | null {
    if (this.strings) return parseDecimal(this.strings[c]);
    const x = fastDecimal(this.bytes, this.starts[c], this.ends[c]);
    return x === undefined ? parseDecimal(this.field(c)) : x;
  }

  /** Field c as an integer when it is written canonically ("0", "42", "-7": no sign +, no leading zero, ≤ 15 digits), else NaN. */
  canonicalInt(c: number): number {
    if (this.strings) return canonicalIntOf(this.strings[c]);
    return canonicalIntBytes(this.bytes, this.starts[c], this.ends[c]);
  }
}

const POW10 = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
  1e21, 1e22,
];

/**
 * A decimal in bytes [start, end) by Clinger's fast path: when it matches parseDecimal's grammar and has at most 15
 * significant digits and a power of ten within 10^±22, the value is one correctly rounded product or quotient of
 * two exact doubles, hence equal to Number(text). Otherwise undefined (the caller falls back to the string).
 */
function fastDecimal(b: Uint8Array, start: number, end: number): number | null | undefined {
  let p = start;
  if (p === end) return null;
  let negative = false;
  if (b[p] === 43 || b[p] === 45) {
    negative = b[p] === 45;
    p++;
  }
  let mantissa = 0;
  let digits = 0; // significant digits taken into the mantissa
  let intDigits = 0;
  let fracDigits = 0;
  let scale = 0; // power of ten to apply to the mantissa
  while (p < end && b[p] >= 48 && b[p] <= 57) {
    if (mantissa !== 0 || b[p] !== 48) {
      if (digits === 15) return undefined;
      mantissa = mantissa * 10 + (b[p] - 48);
      digits++;
    }
    intDigits++;
    p++;
  }
  if (p < end && b[p] === 46) {
    p++;
    while (p < end && b[p] >= 48 && b[p] <= 57) {
      if (mantissa !== 0 || b[p] !== 48) {
        if (digits === 15) return undefined;
        mantissa = mantissa * 10 + (b[p] - 48);
        digits++;
      }
      scale--;
      fracDigits++;
      p++;
    }
  }
  if (intDigits + fracDigits === 0) return undefined;
  if (p < end && (b[p] === 101 || b[p] === 69)) {
    p++;
    let eNeg = false;
    if (p < end && (b[p] === 43 || b[p] === 45)) {
      eNeg = b[p] === 45;
      p++;
    }
    if (p === end) return undefined;
    let e = 0;
    while (p < end && b[p] >= 48 && b[p] <= 57) {
      if (e > 1000) return undefined;
      e = e * 10 + (b[p] - 48);
      p++;
    }
    scale += eNeg ? -e : e;
  }
  if (p !== end) return undefined;
  let x: number;
  if (mantissa === 0) x = 0;
  else if (scale >= 0 && scale <= 22) x = mantissa * POW10[scale];
  else if (scale < 0 && scale >= -22) x = mantissa / POW10[-scale];
  else return undefined;
  return negative ? -x : x;
}

function canonicalIntBytes(b: Uint8Array, start: number, end: number): number {
  let p = start;
  let negative = false;
  if (p < end && b[p] === 45) {
    negative = true;
    p++;
  }
  const len = end - p;
  if (len < 1 || len > 15) return NaN;
  if (b[p] === 48 && (len > 1 || negative)) return NaN;
  let x = 0;
  for (; p < end; p++) {
    const d = b[p] - 48;
    if (d < 0 || d > 9) return NaN;
    x = x * 10 + d;
  }
  return negative ? -x : x;
}

const CANONICAL_INT = /^(?:0|-?[1-9]\d{0,14})$/;

/** A label as an integer when it is written canonically (String(n) gives it back), else NaN. */
export function canonicalIntOf(s: string): number {
  return CANONICAL_INT.test(s) ? Number(s) : NaN;
}

/** What csv-parse reads for every format here: trimmed fields, blank lines skipped, a leading BOM dropped. */
const CSV_OPTIONS = {
  skip_empty_lines: true,
  relax_column_count: true,
  trim: true,
  max_record_size: MAX_LINE_CHARS,
};

/** The InputError for a csv-parse error, as readCsvRecords words it; `lineOffset` is added to its line. */
function csvInputError(err: unknown, file: string, lineOffset: number): unknown {
  if (!(err instanceof CsvError)) return err;
  const raw = (err as CsvError & { lines?: number }).lines;
  const line = raw === undefined ? undefined : raw + lineOffset;
  if (err.code === 'CSV_MAX_RECORD_SIZE') {
    return new InputError(
      { file, line },
      `a line longer than ${MAX_LINE_CHARS.toLocaleString('en')} characters (an unclosed quote?)`,
    );
  }
  return new InputError({ file, line }, `not valid CSV (${err.message.replace(/\s*at line \d+/, '')})`);
}

/**
 * Reads CSV from chunks of bytes into records, one at a time, as csv-parse reads the whole text with
 * readCsvRecords' options (RFC 4180 quotes, fields trimmed, blank lines skipped, a leading BOM dropped, the record
 * delimiter the first line ending found: \n, \r\n or \r; lines counted as csv-parse counts them). A line of plain
 * ASCII without quotes is split here; any other record (quotes, a non-ASCII byte, a control character, a very long
 * line) is read by csv-parse alone, from the record's first line to the line end where quotes balance. Memory: the
 * current line or quoted record, never the whole text.
 */
export class CsvReader {
  /** Bytes consumed so far. */
  bytes = 0;
  /** Whether records go to the callback (false: only check the CSV syntax, after a problem was found). */
  deliver = true;
  private readonly view = new CsvRecordView();
  private readonly carry = new Bytes();
  private readonly region = new Bytes();
  /** The first line of the region being gathered, and whether its quotes are open. */
  private regionLine = 0;
  private regionOpen = false;
  /** The record delimiter: 0 unknown yet, LF, CR, or CR + LF (-1). */
  private delimiter = 0;
  private atStart = true;
  /** Line number of the next line's first byte (1-based). */
  line = 1;

  constructor(
    private readonly file: string,
    private readonly onRecord: (record: CsvRecordView) => void,
  ) {}

  /** Reads one chunk; records that end in it are handed to the callback. */
  push(chunk: Uint8Array): void {
    this.bytes += chunk.length;
    let data = chunk;
    let from = 0;
    if (this.carry.length > 0) {
      // Join the partial line with this chunk up to (and with) its first line break.
      const split = this.delimiter === CR ? CR : LF;
      const brk = chunk.indexOf(split);
      const upto = brk < 0 ? chunk.length : brk + 1;
      this.carry.append(chunk, 0, upto);
      from = upto;
      if (brk < 0) {
        this.checkPending();
        return;
      }
      const joined = this.carry.data.subarray(0, this.carry.length);
      const used = this.consume(joined, 0, false);
      const rest = joined.slice(used);
      this.carry.clear();
      if (rest.length > 0) {
        // The joined line was waiting for the delimiter to be known: go on from what was not consumed.
        this.carry.append(rest, 0, rest.length);
        this.carry.append(chunk, from, chunk.length);
        data = this.carry.data.slice(0, this.carry.length);
        this.carry.clear();
        from = 0;
      }
    }
    const used = this.consume(data, from, false);
    if (used < data.length) this.carry.append(data, used, data.length);
    this.checkPending();
  }

  /** Reads what is left at the end of the text. */
  end(): void {
    const rest = this.carry.data.subarray(0, this.carry.length);
    this.consume(rest, 0, true);
    this.carry.clear();
    if (this.region.length > 0) this.flushRegion(true);
  }

  /** A partial line or an unbalanced quoted record that keeps growing is refused once it passes the bound. */
  private checkPending(): void {
    if (this.carry.length + this.region.length <= MAX_PENDING_BYTES) return;
    // Let csv-parse read what there is: a record too long, or a quote error, is its error as the whole text gives it.
    const startLine = this.region.length > 0 ? this.regionLine : this.line;
    if (this.carry.length > 0) this.region.append(this.carry.data, 0, this.carry.length);
    this.carry.clear();
    this.parseRegion(this.region.data.subarray(0, this.region.length), startLine, false);
    throw new InputError(
      { file: this.file, line: startLine },
      `a line longer than ${MAX_LINE_CHARS.toLocaleString('en')} characters (an unclosed quote?)`,
    );
  }

  /**
   * Consumes whole lines of data[from..]; returns where the unconsumed tail starts (a line without its break,
   * unless `final`).
   */
  private consume(data: Uint8Array, from: number, final: boolean): number {
    let p = from;
    if (this.atStart) {
      if (data.length - p < 3 && !final) return p;
      // csv-parse drops a leading UTF-8 BOM; later ones are trimmed as white space.
      if (data[p] === 0xef && data[p + 1] === 0xbb && data[p + 2] === 0xbf) p += 3;
      this.atStart = false;
    }
    if (this.delimiter === 0) {
      const found = discoverDelimiter(data, p, final);
      if (found === null) return p;
      this.delimiter = found;
    }
    return this.consumeLines(data, p, final);
  }

  private consumeLines(data: Uint8Array, p: number, final: boolean): number {
    const split = this.delimiter === CR ? CR : LF;
    const crlf = this.delimiter === -1;
    const len = data.length;
    let commas = this.commas;
    while (p < len) {
      let e = data.indexOf(split, p);
      if (e < 0) {
        if (!final) return p;
        e = len;
      }
      const next = e < len ? e + 1 : len;
      // Content of the line without its delimiter; with \r\n, a line ending in a bare \n is not a record end.
      let c = e;
      let delimited = e < len;
      if (crlf && delimited) {
        if (c > p && data[c - 1] === CR) c--;
        else delimited = false;
      }
      let plain = this.region.length === 0 && c - p <= FAST_LINE_BYTES && (delimited || e === len);
      let count = 0;
      if (plain) {
        for (let q = p; q < c; q++) {
          const b = data[q];
          if (b === COMMA) {
            if (count === commas.length) commas = this.growCommas();
            commas[count++] = q;
          } else if (PLAIN[b] === 0) {
            plain = false;
            break;
          }
        }
      }
      if (!plain) {
        if (this.region.length === 0) {
          this.regionLine = this.line;
          this.regionOpen = false;
        }
        this.region.append(data, p, next);
        this.regionOpen = quotesOpen(data, p, next, this.regionOpen);
        if (!this.regionOpen && delimited) this.flushRegion(false);
        p = next;
        continue;
      }
      if (this.deliver) this.fastRecord(data, p, c, count);
      this.line++;
      p = next;
    }
    return p;
  }

  private commas: Int32Array = new Int32Array(16);

  private growCommas(): Int32Array {
    const next = new Int32Array(this.commas.length * 2);
    next.set(this.commas);
    this.commas = next;
    return next;
  }

  /** Hands over a plain line split at its commas, fields trimmed (a line of blanks is skipped, as csv-parse does). */
  private fastRecord(data: Uint8Array, start: number, end: number, commas: number): void {
    if (commas === 0) {
      let s = start;
      while (s < end && (data[s] === 32 || data[s] === 9)) s++;
      if (s === end) return;
    }
    const v = this.view;
    const count = commas + 1;
    if (count > v.starts.length) {
      let cap = v.starts.length;
      while (cap < count) cap *= 2;
      v.starts = new Int32Array(cap);
      v.ends = new Int32Array(cap);
    }
    const at = this.commas;
    for (let f = 0; f < count; f++) {
      let a = f === 0 ? start : at[f - 1] + 1;
      let b = f === commas ? end : at[f];
      while (a < b && (data[a] === 32 || data[a] === 9)) a++;
      while (b > a && (data[b - 1] === 32 || data[b - 1] === 9)) b--;
      v.starts[f] = a;
      v.ends[f] = b;
    }
    v.strings = null;
    v.bytes = data;
    v.count = count;
    v.line = this.line;
    this.onRecord(v);
  }

  /** csv-parse reads the gathered region; its records are handed over with their lines in the whole text. */
  private flushRegion(final: boolean): void {
    const bytes = this.region.data.subarray(0, this.region.length);
    this.parseRegion(bytes, this.regionLine, final);
    this.line = this.regionLine + lineBreaks(bytes, this.delimiter === -1);
    this.region.clear();
    this.regionOpen = false;
  }

  private parseRegion(bytes: Uint8Array, startLine: number, final: boolean): void {
    const offset = startLine - 1;
    const view = this.view;
    const deliver = this.deliver;
    const onRecord = (record: string[], context: { lines: number }): null => {
      if (deliver) {
        view.strings = record;
        view.count = record.length;
        view.line = context.lines + offset;
        this.onRecord(view);
      }
      return null;
    };
    const options: Record<string, unknown> = { ...CSV_OPTIONS, bom: false, on_record: onRecord };
    if (this.delimiter !== 0)
      options.record_delimiter = this.delimiter === -1 ? '\r\n' : this.delimiter === CR ? '\r' : '\n';
    try {
      parse(decodeBytes(bytes, 0, bytes.length), options as unknown as Options<string[], string[]>);
    } catch (err) {
      if (err instanceof InputError) throw err;
      if (!final && err instanceof CsvError && err.code === 'CSV_QUOTE_NOT_CLOSED') return;
      throw csvInputError(err, this.file, offset);
    }
  }
}

/**
 * The record delimiter csv-parse would pick: the first \r\n, \n or \r outside quotes from `p`; null when the
 * data ends first (more is needed, unless `final`: then \n).
 */
function discoverDelimiter(data: Uint8Array, p: number, final: boolean): number | null {
  let open = false;
  for (let q = p; q < data.length; q++) {
    const b = data[q];
    if (b === QUOTE) open = !open;
    else if (!open && b === LF) return LF;
    else if (!open && b === CR) {
      if (q + 1 < data.length) return data[q + 1] === LF ? -1 : CR;
      if (final) return CR;
      return null;
    }
  }
  return final ? LF : null;
}

/** Whether quotes are open after bytes [start, end), starting `open` (each quote toggles: RFC 4180's doubled quotes cancel). */
function quotesOpen(data: Uint8Array, start: number, end: number, open: boolean): boolean {
  let p = data.indexOf(QUOTE, start);
  while (p >= 0 && p < end) {
    open = !open;
    p = data.indexOf(QUOTE, p + 1);
  }
  return open;
}

/** Line breaks in a region as csv-parse counts lines: every \r and \n, but a \r\n record delimiter once. */
function lineBreaks(bytes: Uint8Array, crlf: boolean): number {
  let n = 0;
  let open = false;
  for (let q = 0; q < bytes.length; q++) {
    const b = bytes[q];
    if (b === QUOTE) open = !open;
    else if (b === LF) n++;
    else if (b === CR) {
      n++;
      if (crlf && !open && bytes[q + 1] === LF) q++;
    }
  }
  return n;
}

/**
 * Runs a CSV reader over a source and hands each record to `record`; the first InputError `record` throws is kept
 * while the rest is still read for CSV errors, which come first (as when the whole text was parsed before any
 * check). Then `finish` makes the result. Synchronous: a string or an iterable of chunks.
 */
export function readCsv<T>(
  source: TextSource,
  file: string,
  sink: { record(r: CsvRecordView): void; finish(lines: number): T },
  opts: StreamOptions = {},
): T {
  const run = csvRun(file, sink);
  for (const chunk of byteChunks(source)) {
    run.reader.push(chunk);
    opts.onProgress?.({ bytes: run.reader.bytes, lines: run.reader.line - 1 });
  }
  return run.finish();
}

/** readCsv over chunks that may arrive asynchronously. */
export async function readCsvAsync<T>(
  source: AsyncTextSource,
  file: string,
  sink: { record(r: CsvRecordView): void; finish(lines: number): T },
  opts: StreamOptions = {},
): Promise<T> {
  if (typeof source === 'string' || Symbol.iterator in source) return readCsv(source as TextSource, file, sink, opts);
  const run = csvRun(file, sink);
  for await (const chunk of source) {
    for (const bytes of byteChunks([chunk])) run.reader.push(bytes);
    opts.onProgress?.({ bytes: run.reader.bytes, lines: run.reader.line - 1 });
  }
  return run.finish();
}

function csvRun<T>(
  file: string,
  sink: { record(r: CsvRecordView): void; finish(lines: number): T },
): { reader: CsvReader; finish(): T } {
  let problem: InputError | null = null;
  const reader: CsvReader = new CsvReader(file, (r) => {
    try {
      sink.record(r);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      problem = err;
      reader.deliver = false;
    }
  });
  return {
    reader,
    finish() {
      reader.end();
      if (problem) throw problem;
      return sink.finish(reader.line);
    },
  };
}

/**
 * Runs `sink.line` on each line of a source, split as `text.split(/\r?\n/)` splits it (a last empty line after a
 * final break included), decoded from UTF-8; its 1-based number is the second argument. A line longer than
 * MAX_LINE_CHARS characters is an InputError naming it, before anything else: the first InputError `line` throws is
 * kept while the rest is still checked for long lines. Synchronous: a string or an iterable of chunks.
 */
export function readLines<T>(
  source: TextSource,
  file: string,
  sink: { line(text: string, n: number): void; finish(): T },
  opts: StreamOptions = {},
): T {
  const run = lineRun(file, sink);
  for (const chunk of byteChunks(source)) {
    run.push(chunk);
    opts.onProgress?.(run.progress());
  }
  return run.finish();
}

/** readLines over chunks that may arrive asynchronously. */
export async function readLinesAsync<T>(
  source: AsyncTextSource,
  file: string,
  sink: { line(text: string, n: number): void; finish(): T },
  opts: StreamOptions = {},
): Promise<T> {
  if (typeof source === 'string' || Symbol.iterator in source) return readLines(source as TextSource, file, sink, opts);
  const run = lineRun(file, sink);
  for await (const chunk of source) {
    for (const bytes of byteChunks([chunk])) run.push(bytes);
    opts.onProgress?.(run.progress());
  }
  return run.finish();
}

function lineRun<T>(
  file: string,
  sink: { line(text: string, n: number): void; finish(): T },
): { push(chunk: Uint8Array): void; progress(): ReadProgress; finish(): T } {
  let problem: InputError | null = null;
  let n = 0;
  let bytes = 0;
  const carry = new Bytes();
  const tooLong = (line: number): InputError =>
    new InputError({ file, line }, `a line longer than ${MAX_LINE_CHARS.toLocaleString('en')} characters`);
  const emit = (data: Uint8Array, start: number, end: number): void => {
    n++;
    let ascii = end - start <= MAX_LINE_CHARS;
    for (let q = start; ascii && q < end; q++) if (data[q] >= 0x80) ascii = false;
    const text = ascii ? asciiText(data, start, end) : decodeBytes(data, start, end);
    if (text.length > MAX_LINE_CHARS) throw tooLong(n);
    if (problem) return;
    try {
      sink.line(text, n);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      problem = err;
    }
  };
  const lines = (data: Uint8Array, p: number, final: boolean): number => {
    while (p < data.length) {
      const e = data.indexOf(LF, p);
      if (e < 0) break;
      emit(data, p, e > p && data[e - 1] === CR ? e - 1 : e);
      p = e + 1;
    }
    if (final) emit(data, p, data.length);
    return p;
  };
  return {
    push(chunk) {
      bytes += chunk.length;
      let from = 0;
      if (carry.length > 0) {
        const brk = chunk.indexOf(LF);
        from = brk < 0 ? chunk.length : brk + 1;
        carry.append(chunk, 0, from);
        if (brk >= 0) {
          lines(carry.data.subarray(0, carry.length), 0, false);
          carry.clear();
        }
      }
      const used = lines(chunk, from, false);
      carry.append(chunk, used, chunk.length);
      if (carry.length > MAX_PENDING_BYTES) throw tooLong(n + 1);
    },
    progress: () => ({ bytes, lines: n }),
    finish() {
      lines(carry.data.subarray(0, carry.length), 0, true);
      carry.clear();
      if (problem) throw problem;
      return sink.finish();
    },
  };
}
