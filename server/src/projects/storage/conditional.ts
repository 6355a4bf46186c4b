/**
 * What a download's headers ask of the object's current version (RFC 9110): whether the client's condition fails
 * (If-Match, else If-Unmodified-Since: a 412), whether its copy is still current (If-None-Match, else
 * If-Modified-Since: a 304 without the bytes), and which bytes it wants (a Range, unless If-Range names another
 * version, whose bytes cannot be joined to these). A condition that cannot be read matches nothing.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** The version's validators, as its ETag and Last-Modified headers say them. */
export interface Validators {
  etag?: string;
  /** To the second, as Last-Modified has it. */
  lastModified: Date;
}

/** The headers that make a GET ask for less than the whole object, or for nothing, depending on its version. */
export const CONDITIONAL_HEADERS = ['range', 'if-match', 'if-unmodified-since', 'if-none-match', 'if-modified-since'];

/** 13.1.1 and 13.1.4, in the order of 13.2.2: If-Match by strong comparison (or `*`); without it, If-Unmodified-Since. */
export function isPreconditionFailed(headers: IncomingHttpHeaders, version: Validators): boolean {
  if (headers['if-match'] !== undefined) {
    const tags = entityTags(headers['if-match']);
    const etag = entityTag(version.etag);
    return tags !== '*' && !(tags && etag && !etag.weak && tags.some((tag) => !tag.weak && tag.opaque === etag.opaque));
  }
  const since = httpDate(headers['if-unmodified-since']);
  return since !== undefined && version.lastModified.getTime() > since;
}

/** 13.1.2 and 13.1.3, in the order of 13.2.2: If-None-Match by weak comparison (or `*`); without it, If-Modified-Since. */
export function isNotModified(headers: IncomingHttpHeaders, version: Validators): boolean {
  if (headers['if-none-match'] !== undefined) {
    const tags = entityTags(headers['if-none-match']);
    const etag = entityTag(version.etag);
    return tags === '*' || (!!tags && !!etag && tags.some((tag) => tag.opaque === etag.opaque));
  }
  const since = httpDate(headers['if-modified-since']);
  return since !== undefined && version.lastModified.getTime() <= since;
}

/**
 * The Range asked for (14.2), if it applies to this version: `bytes=a-b`, `bytes=a-` or `bytes=-n`; several ranges
 * are answered whole. With If-Range (13.1.5), only if it is an ETag that matches strongly. A date is not taken:
 * Last-Modified is to the second, and an object replaced within that second keeps it, so a date cannot tell the two
 * versions apart; the whole object is sent instead.
 */
export function requestedRange(
  headers: IncomingHttpHeaders,
  version: Validators,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  const match = headers.range ? /^bytes=(\d*)-(\d*)$/i.exec(headers.range.trim()) : null;
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (headers['if-range'] !== undefined) {
    const asked = entityTag(String(headers['if-range']).trim());
    const etag = entityTag(version.etag);
    if (!asked || !etag || asked.weak || etag.weak || asked.opaque !== etag.opaque) return undefined;
  }
  let start: number;
  let end: number;
  if (match[1] === '') {
    start = Math.max(0, size - Number(match[2]));
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start > end || start >= size) return 'unsatisfiable';
  return { start, end };
}

interface EntityTag {
  weak: boolean;
  opaque: string;
}

/** 8.8.3: `"x"` or `W/"x"`, where x may hold commas but no quote. */
const ENTITY_TAG = /\s*(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*/y;

function entityTag(value: string | undefined): EntityTag | undefined {
  if (value === undefined) return undefined;
  ENTITY_TAG.lastIndex = 0;
  const match = ENTITY_TAG.exec(value);
  return match && ENTITY_TAG.lastIndex === value.length ? { weak: !!match[1], opaque: match[2] } : undefined;
}

/** `*`, or a comma-separated list of entity tags; undefined if the value is neither. */
function entityTags(value: string): EntityTag[] | '*' | undefined {
  if (value.trim() === '*') return '*';
  const tags: EntityTag[] = [];
  ENTITY_TAG.lastIndex = 0;
  for (;;) {
    const match = ENTITY_TAG.exec(value);
    if (!match) return undefined;
    tags.push({ weak: !!match[1], opaque: match[2] });
    if (ENTITY_TAG.lastIndex === value.length) return tags;
    if (value[ENTITY_TAG.lastIndex] !== ',') return undefined;
    ENTITY_TAG.lastIndex++;
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH = `(${MONTHS.join('|')})`;
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
/** 5.6.7: IMF-fixdate, and the two obsolete forms a recipient must still read: RFC 850's and asctime's. */
const IMF_FIXDATE = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
const RFC_850 = new RegExp(`^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
const ASCTIME = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`);

/** An HTTP-date in ms (all three forms are GMT); anything else, which a recipient must ignore, is undefined. */
function httpDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  let parts: [day: string, month: string, year: string, hour: string, minute: string, second: string];
  let match = IMF_FIXDATE.exec(value) ?? RFC_850.exec(value);
  if (match) {
    parts = match.slice(1, 7) as typeof parts;
  } else if ((match = ASCTIME.exec(value))) {
    parts = [match[2], match[1], match[6], match[3], match[4], match[5]];
  } else {
    return undefined;
  }
  const [day, month, hour, minute, second] = [parts[0], MONTHS.indexOf(parts[1]), parts[3], parts[4], parts[5]].map(Number);
  let year = Number(parts[2]);
  if (parts[2].length === 2) {
    // RFC 850's two digits: the year that is not more than 50 years ahead (5.6.7).
    year += 2000;
    if (year > new Date().getUTCFullYear() + 50) year -= 100;
  }
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC, which reads years below 100 as 19xx; a leap second reads as the second before.
  date.setUTCFullYear(year, month, day);
  date.setUTCHours(hour, minute, Math.min(second, 59));
  return date.getUTCDate() === day ? date.getTime() : undefined;
}
