// ajv-formats' formats that are regular expressions, run on RE2 (linear time) with the same results.
// ajv-formats' own `url` regex backtracks quadratically (a 50,000-character "ftp://a@::::…" takes
// seconds), and a payload string may be 1 MB. Four of its patterns use lookarounds or are private to
// the package; they are written out here in RE2 syntax, and linear-formats.test.ts checks each one
// against the installed ajv-formats on generated inputs. The formats that are functions (date, time,
// date-time, iso-*, byte, regex) stay: their regexes are fixed-width or hold one unambiguous `\d+`,
// which is linear on a backtracking engine too.
import { fullFormats } from 'ajv-formats/dist/formats.js';
import type { Format } from 'ajv';
import { compileLinearRegExp } from './linear-regexp.ts';

// compiled on first use: a start should not pay for formats no contract uses
const linear = (source: string, flags: string) => {
  let re: ReturnType<typeof compileLinearRegExp> | undefined;
  return (s: string) => (re ??= compileLinearRegExp(source, flags)).test(s);
};

// `^P(?!$)(…T(?=\d)…)$`: "P" alone is not a duration, and a "T" is followed by at least one part.
const durationBody = linear('^P(?:(?:\\d+Y)?(?:\\d+M)?(?:\\d+D)?(?:T(?:\\d+H(?:\\d+M)?(?:\\d+S)?|\\d+M(?:\\d+S)?|\\d+S))?|(?:\\d+W)?)$', '');
const duration = (s: string) => s !== 'P' && durationBody(s);

// `^(?=.{1,253}\.?$)…`: at most 253 characters, or 254 ending in a dot (the rest forbids line breaks).
const hostnameBody = linear('^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\\.[a-z0-9](?:[-0-9a-z]{0,61}[0-9a-z])?)*\\.?$', 'i');
const hostname = (s: string) => (s.length <= 253 || (s.length === 254 && s.endsWith('.'))) && hostnameBody(s);

// `url`'s negative lookaheads refuse private IPv4 hosts (10/8, 127/8, 169.254/16, 192.168/16,
// 172.16/12); the same set as a regular language over its octet patterns.
const M = '(?:1?\\d{1,2}|2[0-4]\\d|25[0-5])';
const LAST = '(?:[1-9]\\d?|1\\d\\d|2[0-4]\\d|25[0-4])';
const FIRST_PUBLIC = '(?:[1-9]|1[1-9]|[2-9]\\d|1[013458]\\d|12[0-689]|16[0-8]|17[013-9]|19[013-9]|2[01]\\d|22[0-3])';
const M_NOT_254 = '(?:1?\\d{1,2}|2[0-4]\\d|25[0-35])';
const M_NOT_168 = '(?:\\d{1,2}|1(?:[0-57-9]\\d|6[0-79])|2[0-4]\\d|25[0-5])';
const M_NOT_16_31 = '(?:\\d|0\\d|1[0-5]|3[2-9]|[4-9]\\d|1\\d\\d|2[0-4]\\d|25[0-5])';
const PUBLIC_IPV4 = `(?:${FIRST_PUBLIC}(?:\\.${M}){2}|169\\.${M_NOT_254}\\.${M}|192\\.${M_NOT_168}\\.${M}|172\\.${M_NOT_16_31}\\.${M})\\.${LAST}`;
const URL_HOST_NAME =
  '(?:(?:[a-z0-9\\u{00a1}-\\u{ffff}]+-)*[a-z0-9\\u{00a1}-\\u{ffff}]+)(?:\\.(?:[a-z0-9\\u{00a1}-\\u{ffff}]+-)*[a-z0-9\\u{00a1}-\\u{ffff}]+)*(?:\\.(?:[a-z\\u{00a1}-\\u{ffff}]{2,}))';
const url = linear(`^(?:https?|ftp):\\/\\/(?:\\S+(?::\\S*)?@)?(?:${PUBLIC_IPV4}|${URL_HOST_NAME})(?::\\d{2,5})?(?:\\/[^\\s]*)?$`, 'iu');

// `uri` is a function over a regex private to ajv-formats (3.0.1, MIT; after
// http://jmrware.com/articles/2009/uri_regexp/URI_regex.html): copied here.
const URI =
  "^(?:[a-z][a-z0-9+\\-.]*:)(?:\\/?\\/(?:(?:[a-z0-9\\-._~!$&'()*+,;=:]|%[0-9a-f]{2})*@)?(?:\\[(?:(?:(?:(?:[0-9a-f]{1,4}:){6}|::(?:[0-9a-f]{1,4}:){5}|(?:[0-9a-f]{1,4})?::(?:[0-9a-f]{1,4}:){4}|(?:(?:[0-9a-f]{1,4}:){0,1}[0-9a-f]{1,4})?::(?:[0-9a-f]{1,4}:){3}|(?:(?:[0-9a-f]{1,4}:){0,2}[0-9a-f]{1,4})?::(?:[0-9a-f]{1,4}:){2}|(?:(?:[0-9a-f]{1,4}:){0,3}[0-9a-f]{1,4})?::[0-9a-f]{1,4}:|(?:(?:[0-9a-f]{1,4}:){0,4}[0-9a-f]{1,4})?::)(?:[0-9a-f]{1,4}:[0-9a-f]{1,4}|(?:(?:25[0-5]|2[0-4]\\d|[01]?\\d\\d?)\\.){3}(?:25[0-5]|2[0-4]\\d|[01]?\\d\\d?))|(?:(?:[0-9a-f]{1,4}:){0,5}[0-9a-f]{1,4})?::[0-9a-f]{1,4}|(?:(?:[0-9a-f]{1,4}:){0,6}[0-9a-f]{1,4})?::)|[Vv][0-9a-f]+\\.[a-z0-9\\-._~!$&'()*+,;=:]+)\\]|(?:(?:25[0-5]|2[0-4]\\d|[01]?\\d\\d?)\\.){3}(?:25[0-5]|2[0-4]\\d|[01]?\\d\\d?)|(?:[a-z0-9\\-._~!$&'()*+,;=]|%[0-9a-f]{2})*)(?::\\d*)?(?:\\/(?:[a-z0-9\\-._~!$&'()*+,;=:@]|%[0-9a-f]{2})*)*|\\/(?:(?:[a-z0-9\\-._~!$&'()*+,;=:@]|%[0-9a-f]{2})+(?:\\/(?:[a-z0-9\\-._~!$&'()*+,;=:@]|%[0-9a-f]{2})*)*)?|(?:[a-z0-9\\-._~!$&'()*+,;=:@]|%[0-9a-f]{2})+(?:\\/(?:[a-z0-9\\-._~!$&'()*+,;=:@]|%[0-9a-f]{2})*)*)(?:\\?(?:[a-z0-9\\-._~!$&'()*+,;=:@/?]|%[0-9a-f]{2})*)?(?:#(?:[a-z0-9\\-._~!$&'()*+,;=:@/?]|%[0-9a-f]{2})*)?$";
const uriBody = linear(URI, 'i');
const uri = (s: string) => (s.includes('/') || s.includes(':')) && uriBody(s);

const special: Record<string, (s: string) => boolean> = { duration, hostname, url, uri };

/**
 * Every ajv-formats format, with those that are regular expressions replaced by RE2 matchers.
 * Pass to `ajv.addFormat` after `addFormats(ajv)`.
 */
export function linearFormats(): Record<string, Format> {
  const out: Record<string, Format> = {};
  for (const [name, def] of Object.entries(fullFormats)) {
    if (special[name]) out[name] = special[name];
    else if (def instanceof RegExp) out[name] = linear(def.source, def.flags);
  }
  return out;
}
