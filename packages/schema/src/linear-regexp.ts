// Payload regexes on RE2 (re2js): matching takes time linear in the input whatever the pattern, so a
// contract `pattern` like "^([a-z0-9]+)+$" cannot stall the process (issue 12, item 4).
//
// A payload pattern is ECMAScript syntax (JSON Schema says so). It is first compiled by the native
// engine — that is the syntax check, and compiling is not matching — then rewritten into RE2 syntax
// with ECMAScript's meanings kept where the two differ:
//   `.`  → any code point but \n \r U+2028 U+2029   (RE2's `.` excludes only \n)
//   `\s` → ECMAScript's white space and line terminators (RE2's `\s` is ASCII only)
//   `\uXXXX`, `\u{X}`, `\cX`, `\0` → `\x{…}`          (RE2 has no \u, \c)
//   `[^]`, `[]`, `\b` in a class, named groups, `\p{Letter}`-style property names
// What RE2 cannot do in linear time — lookarounds and backreferences — is an UnsupportedPatternError.
import { RE2JS } from 're2js';

export class UnsupportedPatternError extends Error {
  constructor(
    readonly pattern: string,
    /** e.g. "lookahead (?=…)" */
    readonly feature: string,
  ) {
    super(`pattern "${pattern}" cannot run in linear time: ${feature} is not supported (write it without lookarounds or backreferences)`);
    this.name = 'UnsupportedPatternError';
  }
}

/** What AJV needs from a compiled pattern; `toString` must differ per pattern (AJV caches by it). */
export interface LinearRegExp {
  test(s: string): boolean;
  toString(): string;
}

const JS_SPACE_ITEMS = '\\t\\n\\x{0B}\\f\\r\\p{Zs}\\x{2028}\\x{2029}\\x{FEFF}';
const JS_DOT = '[^\\n\\r\\x{2028}\\x{2029}]';
const ANY = '[\\x{0}-\\x{10FFFF}]';
const NOTHING = '[^\\x{0}-\\x{10FFFF}]';

// ECMAScript's long General_Category names → the short ones RE2 knows.
const CATEGORY: Record<string, string> = {
  Letter: 'L', Uppercase_Letter: 'Lu', Lowercase_Letter: 'Ll', Titlecase_Letter: 'Lt', Modifier_Letter: 'Lm', Other_Letter: 'Lo',
  Mark: 'M', Combining_Mark: 'M', Nonspacing_Mark: 'Mn', Spacing_Mark: 'Mc', Enclosing_Mark: 'Me',
  Number: 'N', Decimal_Number: 'Nd', digit: 'Nd', Letter_Number: 'Nl', Other_Number: 'No',
  Punctuation: 'P', punct: 'P', Connector_Punctuation: 'Pc', Dash_Punctuation: 'Pd', Open_Punctuation: 'Ps', Close_Punctuation: 'Pe',
  Initial_Punctuation: 'Pi', Final_Punctuation: 'Pf', Other_Punctuation: 'Po',
  Symbol: 'S', Math_Symbol: 'Sm', Currency_Symbol: 'Sc', Modifier_Symbol: 'Sk', Other_Symbol: 'So',
  Separator: 'Z', Space_Separator: 'Zs', Line_Separator: 'Zl', Paragraph_Separator: 'Zp',
  Other: 'C', Control: 'Cc', cntrl: 'Cc', Format: 'Cf', Surrogate: 'Cs', Private_Use: 'Co', Unassigned: 'Cn',
};

const hex = (cp: number) => `\\x{${cp.toString(16).toUpperCase()}}`;

function propertyName(pattern: string, body: string): string {
  const eq = body.indexOf('=');
  if (eq < 0) return CATEGORY[body] ?? body; // a category (short names pass) or a binary property RE2 may know
  const [key, value] = [body.slice(0, eq), body.slice(eq + 1)];
  if (key === 'General_Category' || key === 'gc') return CATEGORY[value] ?? value;
  if (key === 'Script' || key === 'sc') return value; // RE2 names scripts by their long names, as ECMAScript does
  throw new UnsupportedPatternError(pattern, `the Unicode property \\p{${body}}`);
}

/**
 * Rewrites a pattern that is valid ECMAScript (`u` mode) into RE2 syntax with the same meaning for
 * `test`. Throws UnsupportedPatternError for lookarounds and backreferences.
 */
export function toRe2Syntax(pattern: string): string {
  let out = '';
  let i = 0;
  const n = pattern.length;

  /** One escape at pattern[i] === '\\'; `inClass` changes `\b` and how `\s` is written. Returns [text, negatedSpace]. */
  const escape = (inClass: boolean): { text: string; notSpace?: boolean } => {
    const c = pattern[i + 1]!;
    i += 2;
    switch (c) {
      case 'u': {
        if (pattern[i] === '{') {
          const end = pattern.indexOf('}', i);
          const cp = parseInt(pattern.slice(i + 1, end), 16);
          i = end + 1;
          return { text: hex(cp) };
        }
        let cp = parseInt(pattern.slice(i, i + 4), 16);
        i += 4;
        // `\uD83D\uDE00` is one code point in `u` mode
        if (cp >= 0xd800 && cp <= 0xdbff && pattern.startsWith('\\u', i) && /^[0-9a-fA-F]{4}$/.test(pattern.slice(i + 2, i + 6))) {
          const lo = parseInt(pattern.slice(i + 2, i + 6), 16);
          if (lo >= 0xdc00 && lo <= 0xdfff) {
            cp = (cp - 0xd800) * 0x400 + (lo - 0xdc00) + 0x10000;
            i += 6;
          }
        }
        return { text: hex(cp) };
      }
      case 'c': {
        const letter = pattern.charCodeAt(i);
        i += 1;
        return { text: hex(letter % 32) };
      }
      case '0':
        return { text: hex(0) };
      case 's':
        return { text: inClass ? JS_SPACE_ITEMS : `[${JS_SPACE_ITEMS}]` };
      case 'S':
        return inClass ? { text: '', notSpace: true } : { text: `[^${JS_SPACE_ITEMS}]` };
      case 'b':
        return { text: inClass ? hex(8) : '\\b' };
      case 'k':
        throw new UnsupportedPatternError(pattern, 'the backreference \\k<…>');
      case 'p':
      case 'P': {
        const end = pattern.indexOf('}', i);
        const body = pattern.slice(i + 1, end);
        i = end + 1;
        return { text: `\\${c}{${propertyName(pattern, body)}}` };
      }
      default:
        if (c >= '1' && c <= '9') throw new UnsupportedPatternError(pattern, `the backreference \\${c}`);
        // \d \D \w \W \B \t \n \r \f \v \xHH and escaped syntax characters mean the same in RE2
        return { text: `\\${c}` };
    }
  };

  const charClass = (): string => {
    i += 1; // '['
    let negated = false;
    if (pattern[i] === '^') {
      negated = true;
      i += 1;
    }
    if (pattern[i] === ']') {
      i += 1;
      return negated ? ANY : NOTHING; // [^] and []
    }
    let items = '';
    let notSpace = false;
    while (i < n && pattern[i] !== ']') {
      const ch = pattern[i]!;
      if (ch === '\\') {
        const e = escape(true);
        items += e.text;
        notSpace ||= !!e.notSpace;
      } else {
        items += ch === '[' ? '\\[' : ch; // RE2 would read `[:` as a POSIX class
        i += 1;
      }
    }
    i += 1; // ']'
    if (!notSpace) return `[${negated ? '^' : ''}${items}]`;
    // `\S` inside a class: RE2 cannot subtract inside one class, so it becomes an alternation
    if (negated) throw new UnsupportedPatternError(pattern, 'a negated class holding \\S');
    return items ? `(?:[${items}]|[^${JS_SPACE_ITEMS}])` : `[^${JS_SPACE_ITEMS}]`;
  };

  while (i < n) {
    const ch = pattern[i]!;
    if (ch === '\\') out += escape(false).text;
    else if (ch === '[') out += charClass();
    else if (ch === '.') {
      out += JS_DOT;
      i += 1;
    } else if (ch === '(' && pattern[i + 1] === '?') {
      const look = pattern.slice(i, i + 4);
      if (look.startsWith('(?=') || look.startsWith('(?!')) throw new UnsupportedPatternError(pattern, `the lookahead ${look.slice(0, 3)}…)`);
      if (look === '(?<=' || look === '(?<!') throw new UnsupportedPatternError(pattern, `the lookbehind ${look}…)`);
      if (look.startsWith('(?<')) {
        // a named group: only `test` is asked for, so it need not capture (RE2 is pickier about names)
        i = pattern.indexOf('>', i) + 1;
        out += '(?:';
      } else {
        out += '(?';
        i += 2;
      }
    } else {
      out += ch;
      i += 1;
    }
  }
  return out;
}

/**
 * Compiles `pattern` with ECMAScript `flags` ("u", "i", "iu", "" — others are refused) to a matcher
 * that runs in linear time. Throws the native SyntaxError for an invalid pattern, and
 * UnsupportedPatternError for what RE2 cannot do (lookarounds, backreferences, repeats over 1000).
 */
export function compileLinearRegExp(pattern: string, flags = 'u'): LinearRegExp {
  if (!/^[iu]*$/.test(flags)) throw new Error(`compileLinearRegExp: flags "${flags}" are not supported`);
  new RegExp(pattern, flags); // the ECMAScript syntax check (compiling does not match: no backtracking here)
  const re2 = toRe2Syntax(pattern);
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(re2, flags.includes('i') ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (e) {
    throw new UnsupportedPatternError(pattern, `what RE2 refuses (${(e as Error).message})`);
  }
  // Without `u`, ECMAScript's `i` never folds a non-ASCII character to an ASCII one; RE2's fold does
  // (U+017F ſ → s, U+212A K → k). U+FFFF stands in for them: it matches every class they would match
  // outside ASCII letters.
  const asciiFold = flags.includes('i') && !flags.includes('u');
  const text = `/${pattern}/${flags}`;
  return {
    test: asciiFold ? (s: string) => compiled.test(s.replace(/[\u017f\u212a]/g, '\uffff')) : (s: string) => compiled.test(s),
    toString: () => text,
  };
}
