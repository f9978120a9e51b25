/**
 * Bracket nesting of GraphQL documents, counted before parsing. graphql-js's parser is recursive: a
 * document under the token cap can still overflow its stack (measured on Node 20 behind Apollo: about
 * 1,750 levels of list and object values such as `[{a:[{a:…`, 1,985 of `[[[…` or of selection sets).
 * Counting `{ [ (` before the parser sees the document refuses those with a clear error instead.
 */
import { ErrorCode, ownProperty, rampartError, type SecurityState } from '@rampart/core';
import type { GraphQLError } from 'graphql';

const OPEN_BRACE = 0x7b; // {
const CLOSE_BRACE = 0x7d; // }
const OPEN_BRACKET = 0x5b; // [
const CLOSE_BRACKET = 0x5d; // ]
const OPEN_PAREN = 0x28; // (
const CLOSE_PAREN = 0x29; // )
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \
const HASH = 0x23; // #
const LF = 0x0a;
const CR = 0x0d;

/**
 * True when `source` nests `{`, `[` and `(` deeper than `max` anywhere the GraphQL lexer would read
 * them as punctuation: brackets inside strings, block strings and comments do not count; the scan
 * stops where the lexer would stop (an unterminated string), since nothing after it is parsed.
 * Unbalanced closing brackets never lower the depth below zero. Linear in the length of `source`, and
 * a source no longer than `max` is not scanned at all (it cannot nest deeper than its length).
 */
export function exceedsNesting(source: string, max: number): boolean {
  const length = source.length;
  if (length <= max) return false;
  let depth = 0;
  let i = 0;
  while (i < length) {
    const c = source.charCodeAt(i);
    if (c === OPEN_BRACE || c === OPEN_BRACKET || c === OPEN_PAREN) {
      if (++depth > max) return true;
      i++;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET || c === CLOSE_PAREN) {
      if (depth > 0) depth--;
      i++;
    } else if (c === HASH) {
      i = endOfComment(source, i + 1);
    } else if (c === QUOTE) {
      i = isBlockStringStart(source, i) ? endOfBlockString(source, i + 3) : endOfString(source, i + 1);
      if (i < 0) return false; // unterminated: the lexer stops here, nothing after it is parsed
    } else {
      i++;
    }
  }
  return false;
}

function isBlockStringStart(source: string, i: number): boolean {
  return source.charCodeAt(i + 1) === QUOTE && source.charCodeAt(i + 2) === QUOTE;
}

/** Index after a comment's line terminator (comments run to the end of the line). */
function endOfComment(source: string, from: number): number {
  let i = from;
  while (i < source.length) {
    const c = source.charCodeAt(i);
    if (c === LF || c === CR) return i + 1;
    i++;
  }
  return i;
}

/** Index after the closing quote of a `"…"` string, or -1 when it is unterminated (a line ends first). */
function endOfString(source: string, from: number): number {
  let i = from;
  while (i < source.length) {
    const c = source.charCodeAt(i);
    if (c === QUOTE) return i + 1;
    if (c === LF || c === CR) return -1;
    i += c === BACKSLASH ? 2 : 1;
  }
  return -1;
}

/** Index after the closing `"""` of a block string (`\"""` is an escaped quote), or -1 when unterminated. */
function endOfBlockString(source: string, from: number): number {
  let i = from;
  while (i < source.length) {
    const c = source.charCodeAt(i);
    if (c === QUOTE && isBlockStringStart(source, i)) return i + 3;
    if (c === BACKSLASH && source.startsWith('"""', i + 1)) i += 4;
    else i++;
  }
  return -1;
}

/** The refusal of a document nested deeper than `max` (HTTP 400). */
export function nestingError(max: number): GraphQLError {
  return rampartError(
    ErrorCode.MAX_DEPTH_LIMIT,
    `Document nesting is too deep: at most ${max} levels of { [ ( are allowed.`,
    { details: { nesting: { max } } },
  );
}

/** Records the refusal in the request's security state (the audit record shows it). */
export function recordNestingRefusal(state: SecurityState, max: number): void {
  state.record({
    source: 'apollo',
    outcome: 'denied',
    code: ErrorCode.MAX_DEPTH_LIMIT,
    rule: 'maxNesting',
    reason: `document nested deeper than ${max} levels`,
    details: { max },
  });
}

/**
 * What {@link checkNestingAtTheDoor} reads of a request: Node's (standalone and Express put the parsed
 * JSON body on it), Fastify's (`body`, `method`, `url`), or what Rampart reads of an AWS Lambda event.
 */
export interface RequestWithDocument {
  readonly method?: string | undefined;
  /** The request URL or just its `?search`: a GET request's `query` parameter is read from it. */
  readonly url?: string | undefined;
  /** The parsed JSON body: one operation or a batch. */
  readonly body?: unknown;
  /** A GET request's `query` parameter, already decoded (AWS Lambda REST events), instead of `url`. */
  readonly queryParameter?: unknown;
}

/** Where the documents checked at the door are noted in the HTTP request's security state. */
const CHECKED_AT_THE_DOOR = Symbol('rampart.apollo.nesting-checked');

/**
 * The door: refuses (throws {@link nestingError}, HTTP 400) an HTTP request carrying a GraphQL document
 * nested deeper than `max`, before Apollo parses anything, so the parser never overflows. Reads the
 * `query` of a JSON body (every operation of a batch) or of a GET request's query string (or its
 * decoded `query`), own
 * properties only (the body is untrusted JSON). The documents it checked are noted in `state` so the
 * plugin does not scan them again; a request whose document it cannot read (another integration, a
 * persisted-query hash) is checked by the plugin on what reaches Apollo.
 */
export function checkNestingAtTheDoor(req: RequestWithDocument | undefined, max: number, state: SecurityState): void {
  if (req === undefined) return;
  let checked: string[] | undefined;
  const check = (query: unknown): void => {
    // a document no longer than `max` cannot nest deeper: nothing to scan, nothing to note
    if (typeof query !== 'string' || query.length <= max) return;
    if (exceedsNesting(query, max)) {
      recordNestingRefusal(state, max);
      throw nestingError(max);
    }
    if (checked === undefined) checked = [query];
    else checked.push(query);
  };
  const body = req.body;
  if (Array.isArray(body)) for (const operation of body) check(ownProperty(operation, 'query'));
  else check(ownProperty(body, 'query'));
  if (req.method === 'GET') {
    const url = req.url;
    if (url !== undefined && url.length > max) {
      const search = url.indexOf('?');
      if (search !== -1) check(new URLSearchParams(url.slice(search + 1)).get('query'));
    }
    check(req.queryParameter);
  }
  if (checked !== undefined) state.slots.set(CHECKED_AT_THE_DOOR, checked);
}

/** True when the door already checked `source` for this HTTP request (`state`: the request's, not a fork). */
export function checkedAtTheDoor(state: SecurityState, source: string): boolean {
  const documents = state.slots.get(CHECKED_AT_THE_DOOR) as readonly string[] | undefined;
  return documents?.includes(source) === true;
}
