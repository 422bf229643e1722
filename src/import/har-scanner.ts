/**
 * An incremental scanner that cuts `log.entries` out of a HAR file as it streams past, one entry
 * at a time, so a file of hundreds of megabytes is never held in memory. It is a small JSON state
 * machine fed chunk by chunk: the structure of the whole file is checked (brackets, commas, keys,
 * literals), and each entry's bytes are collected and handed out whole for `JSON.parse`, which
 * checks the inside of its strings.
 *
 * Memory stays bounded per entry: a string longer than {@link STRING_CAP} raw bytes (an embedded
 * response body, typically) keeps only its first STRING_CAP bytes, cut on a character boundary.
 * That is still more than the 64 KiB body pinaudit classifies, so a cut body is seen as longer
 * than the limit, exactly as the proxy sees a long upload. An entry that is still larger than
 * {@link ENTRY_CAP} after that is refused with an error naming it.
 */

/** Longest string kept from an entry, in raw (JSON-escaped) bytes. */
export const STRING_CAP = 1024 * 1024;
/** Largest entry accepted after long strings were cut. */
export const ENTRY_CAP = 64 * 1024 * 1024;

/** One element of `log.entries`, as its raw JSON bytes. */
export interface RawEntry {
  /** Position in `log.entries`, from 0. */
  index: number;
  bytes: Buffer;
}

/** The file is not valid HAR JSON at `offset`; `entry` is set when that is inside an entry. */
export class HarSyntaxError extends Error {
  readonly offset: number;
  /** Index of the entry being read, or `null` outside the entries. */
  readonly entry: number | null;
  /** What was read of that entry (to name its URL in the message). */
  readonly partial: Buffer | null;

  constructor(message: string, offset: number, entry: number | null, partial: Buffer | null) {
    super(message);
    this.name = 'HarSyntaxError';
    this.offset = offset;
    this.entry = entry;
    this.partial = partial;
  }
}

const enum S {
  Value,
  ValueOrEnd,
  Key,
  KeyOrEnd,
  Colon,
  After,
  Str,
  Lit,
  Done,
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LITERAL = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)$/;

const isLiteralByte = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x2d || c === 0x2b || c === 0x2e;
const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * Scans a HAR file chunk by chunk and calls `onEntry` for each entry as soon as it is complete, so
 * the entries before a syntax error have all been handed out when `push` throws.
 */
export class HarScanner {
  readonly #onEntry: (entry: RawEntry) => void;
  /** Open containers: `{` or `[` (as char codes). */
  readonly #stack: number[] = [];
  /** Object key at depth 1 and 2 (root, log), to find `log.entries`. */
  readonly #keys: Array<string | null> = [null, null, null];
  #state: S = S.Value;
  /** The string being read is an object key at depth ≤ 2 (its text is needed). */
  #keyText: number[] | null = null;
  #stringIsKey = false;
  /** Escape state: -1 right after a backslash, 1..4 hex digits of `\\u` still to come, else 0. */
  #escape = 0;
  #literal = '';
  /** Depth of the `log.entries` array once it is open; -1 before. */
  #entriesDepth = -1;
  #sawEntries = false;
  #index = 0;
  /** Capture of the current entry. */
  #capturing = false;
  #pieces: Buffer[] = [];
  #captured = 0;
  #captureStart = 0;
  #stringBytes = 0;
  #eliding = false;
  #offset = 0;
  #nextBackslash = -1;
  #backslashChunk: Buffer | null = null;

  constructor(onEntry: (entry: RawEntry) => void) {
    this.#onEntry = onEntry;
  }

  /** Number of entries handed out so far. */
  get entries(): number {
    return this.#index;
  }

  /** Feeds the next chunk of the file. Throws HarSyntaxError (or what `onEntry` throws). */
  push(chunk: Buffer): void {
    this.#captureStart = 0;
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.#state === S.Str) {
        i = this.#string(chunk, i);
        continue;
      }
      const c = chunk[i]!;
      if (this.#state === S.Lit) {
        if (isLiteralByte(c)) {
          this.#literal += String.fromCharCode(c);
          if (this.#literal.length > 64) this.#fail('a number or literal is too long', i);
          i++;
          continue;
        }
        if (!LITERAL.test(this.#literal)) this.#fail(`unexpected ${JSON.stringify(this.#literal)}`, i);
        this.#state = S.After;
        this.#valueDone(chunk, i);
        continue; // the delimiter is read in state After
      }
      if (isSpace(c)) {
        i++;
        continue;
      }
      switch (this.#state) {
        case S.Value:
        case S.ValueOrEnd:
          if (c === 0x5d && this.#state === S.ValueOrEnd) {
            this.#close(c, chunk, i);
            break;
          }
          this.#startValue(chunk, i, c);
          break;
        case S.Key:
        case S.KeyOrEnd:
          if (c === 0x7d && this.#state === S.KeyOrEnd) {
            this.#close(c, chunk, i);
            break;
          }
          if (c !== QUOTE) this.#fail(`expected a property name, found ${show(c)}`, i);
          this.#stringIsKey = true;
          this.#keyText = this.#stack.length <= 2 ? [] : null;
          this.#state = S.Str;
          this.#stringBytes = 0;
          break;
        case S.Colon:
          if (c !== 0x3a) this.#fail(`expected ":", found ${show(c)}`, i);
          this.#state = S.Value;
          break;
        case S.After: {
          const top = this.#stack[this.#stack.length - 1];
          if (c === 0x2c && top !== undefined) this.#state = top === 0x7b ? S.Key : S.Value;
          else if (c === 0x7d || c === 0x5d) this.#close(c, chunk, i);
          else this.#fail(top === undefined ? `unexpected ${show(c)} after the end of the HAR` : `expected "," or a closing bracket, found ${show(c)}`, i);
          break;
        }
        case S.Done:
          this.#fail(`unexpected ${show(c)} after the end of the HAR`, i);
      }
      i++;
    }
    if (this.#capturing && !this.#eliding) this.#keep(chunk.subarray(this.#captureStart), i);
    this.#offset += n;
  }

  /** Call at the end of the file; throws when the HAR is incomplete. */
  end(): void {
    if (this.#state !== S.Done && !(this.#state === S.After && this.#stack.length === 0)) {
      this.#fail(this.#offset === 0 ? 'the file is empty' : 'the file ends before the HAR is complete (truncated?)', 0);
    }
    if (!this.#sawEntries) throw new HarSyntaxError('not a HAR file: there is no log.entries array', this.#offset, null, null);
  }

  #startValue(chunk: Buffer, i: number, c: number): void {
    const depth = this.#stack.length;
    if (c !== 0x7b && c !== 0x5b && c !== QUOTE && !isLiteralByte(c)) this.#fail(`unexpected ${show(c)}`, i);
    if (depth === this.#entriesDepth && !this.#capturing) {
      this.#capturing = true;
      this.#pieces = [];
      this.#captured = 0;
      this.#captureStart = i;
    }
    if (c === 0x7b || c === 0x5b) {
      if (depth === 0 && c !== 0x7b) this.#fail('not a HAR file: it does not start with a JSON object', i);
      if (depth === 2 && this.#keys[1] === 'log' && this.#keys[2] === 'entries') {
        if (c !== 0x5b) this.#fail('log.entries is not an array', i);
        this.#entriesDepth = depth + 1;
        this.#sawEntries = true;
      }
      if (depth === 1 && this.#keys[1] === 'log' && c !== 0x7b) this.#fail('log is not an object', i);
      this.#stack.push(c);
      if (depth + 1 <= 2) this.#keys[depth + 1] = null;
      this.#state = c === 0x7b ? S.KeyOrEnd : S.ValueOrEnd;
    } else if (c === QUOTE) {
      if (depth === 0) this.#fail('not a HAR file: it does not start with a JSON object', i);
      this.#stringIsKey = false;
      this.#keyText = null;
      this.#state = S.Str;
      this.#stringBytes = 0;
    } else {
      if (depth === 0) this.#fail('not a HAR file: it does not start with a JSON object', i);
      this.#literal = String.fromCharCode(c);
      this.#state = S.Lit;
    }
  }

  #close(c: number, chunk: Buffer, i: number): void {
    const open = this.#stack.pop();
    if (open === undefined || (c === 0x7d) !== (open === 0x7b)) this.#fail(`unexpected ${show(c)}`, i);
    if (this.#stack.length + 1 === this.#entriesDepth) this.#entriesDepth = -2; // the entries array ended
    this.#state = this.#stack.length === 0 ? S.Done : S.After;
    this.#valueDone(chunk, i + 1);
  }

  /** A value ended just before `end`: if it was an entry, hand it out. */
  #valueDone(chunk: Buffer, end: number): void {
    if (!this.#capturing || this.#stack.length !== this.#entriesDepth) return;
    this.#keep(chunk.subarray(this.#captureStart, end), end);
    const bytes = this.#pieces.length === 1 ? this.#pieces[0]! : Buffer.concat(this.#pieces);
    this.#capturing = false;
    this.#pieces = [];
    this.#captured = 0;
    this.#onEntry({ index: this.#index++, bytes });
  }

  #keep(piece: Buffer, at: number): void {
    if (piece.length === 0) return;
    this.#captured += piece.length;
    if (this.#captured > ENTRY_CAP) this.#fail(`the entry is larger than ${ENTRY_CAP / 1024 / 1024} MiB`, at);
    this.#pieces.push(piece);
  }

  /** Reads string bytes from `i`; returns where to continue. */
  #string(chunk: Buffer, i: number): number {
    const n = chunk.length;
    while (i < n) {
      if (this.#escape === -1) {
        // The character after a backslash; `u` is followed by four hex digits.
        const u = chunk[i] === 0x75;
        this.#record(chunk, i, 1);
        this.#escape = u ? 4 : 0;
        i += 1;
        continue;
      }
      if (this.#escape > 0) {
        const take = Math.min(this.#escape, n - i);
        this.#record(chunk, i, take);
        this.#escape -= take;
        i += take;
        continue;
      }
      // Remember where the next backslash is: searching afresh for each string would rescan
      // the rest of the chunk every time (quadratic on bodies without escapes).
      if (this.#nextBackslash < i || this.#backslashChunk !== chunk) {
        this.#backslashChunk = chunk;
        this.#nextBackslash = chunk.indexOf(BACKSLASH, i);
        if (this.#nextBackslash === -1) this.#nextBackslash = n;
      }
      const q = chunk.indexOf(QUOTE, i);
      const b = this.#nextBackslash === n ? -1 : this.#nextBackslash;
      const stop = q === -1 ? (b === -1 ? n : b) : b === -1 ? q : Math.min(q, b);
      if (stop > i) {
        this.#plain(chunk, i, stop);
        i = stop;
        continue;
      }
      if (chunk[i] === BACKSLASH) {
        // Never cut through an escape: if it would cross the cap, the cut goes before it.
        if (this.#capturing && !this.#eliding && this.#stringBytes + 6 > STRING_CAP) this.#startEliding(chunk, i);
        this.#record(chunk, i, 1);
        this.#escape = -1;
        i += 1;
        continue;
      }
      this.#endString(chunk, i);
      return i + 1;
    }
    return i;
  }

  #plain(chunk: Buffer, from: number, to: number): void {
    if (this.#capturing && !this.#eliding && this.#stringBytes + (to - from) > STRING_CAP) {
      let cut = from + (STRING_CAP - this.#stringBytes);
      while (cut > from && (chunk[cut]! & 0xc0) === 0x80) cut--; // not inside a UTF-8 character
      this.#startEliding(chunk, cut);
    }
    this.#record(chunk, from, to - from);
  }

  #startEliding(chunk: Buffer, cut: number): void {
    this.#keep(chunk.subarray(this.#captureStart, cut), cut);
    this.#eliding = true;
  }

  #record(chunk: Buffer, from: number, length: number): void {
    this.#stringBytes += length;
    if (this.#keyText !== null) {
      if (this.#keyText.length + length > 256) this.#keyText = [];
      else for (let k = from; k < from + length; k++) this.#keyText.push(chunk[k]!);
    }
  }

  #endString(chunk: Buffer, i: number): void {
    if (this.#eliding) {
      this.#eliding = false;
      this.#captureStart = i; // keep the closing quote and what follows
    }
    if (this.#stringIsKey) {
      const depth = this.#stack.length;
      if (this.#keyText !== null && depth <= 2) this.#keys[depth] = decodeKey(this.#keyText);
      this.#keyText = null;
      this.#state = S.Colon;
      return;
    }
    this.#state = S.After;
    this.#valueDone(chunk, i + 1);
  }

  #fail(message: string, at: number): never {
    const inEntry = this.#capturing;
    const partial = inEntry ? Buffer.concat(this.#pieces) : null;
    const where = inEntry ? `log.entries[${this.#index}]` : null;
    throw new HarSyntaxError(where ? `${where}: ${message}` : message, this.#offset + at, inEntry ? this.#index : null, partial);
  }
}

function decodeKey(bytes: number[]): string {
  try {
    return JSON.parse(`"${Buffer.from(bytes).toString('utf8')}"`) as string;
  } catch {
    return '';
  }
}

function show(c: number): string {
  return c >= 0x20 && c < 0x7f ? JSON.stringify(String.fromCharCode(c)) : `byte 0x${c.toString(16).padStart(2, '0')}`;
}
