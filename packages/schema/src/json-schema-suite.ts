// The official JSON Schema Test Suite (draft 2020-12) as shipped by Debian, and the cases Flowdesk's
// payload validation is known to answer differently, each with its reason. Shared by the suite test
// (payload.suite.test.ts, compilePayloadSchema directly) and the live one (test/security/, through
// real webhooks). Test support: nothing in the runtime imports it.
import path from 'node:path';

// Debian's libtest-json-schema-acceptance-perl ships the suite; `npm test`'s pretest installs it.
export const SUITE_ROOT = '/usr/share/perl5/auto/share/dist/Test-JSON-Schema-Acceptance/tests';
export const SUITE_DIR = path.join(SUITE_ROOT, 'draft2020-12');

// The suite version is Debian's (libtest-json-schema-acceptance-perl 1.019, suite commit 47958f8).
// Reasons, one per kind of deviation.
const REMOTE =
  'remote $ref to http://localhost:1234/…: compilePayloadSchema fetches and preloads no remote schemas, by design (a payload schema must be self-contained)';
const REMOTE_META = 'custom meta-schema at http://localhost:1234/… ($schema): not loaded (no remote schemas), and AJV does not implement $vocabulary';
const FORMAT_UNKNOWN =
  'ajv-formats has no idn-email / idn-hostname / iri / iri-reference: AJV strict mode refuses an unknown format instead of ignoring it (so a typo never deploys)';
const STRICT_LONE_IF =
  'AJV strict mode (default, kept) refuses "if" without "then"/"else" and "then"/"else" without "if"; the suite expects them ignored';
const STRICT_CONTAINS =
  'AJV strict mode (default, kept) refuses minContains/maxContains without contains, minContains > maxContains, and minContains 0 without maxContains; the suite expects them ignored or applied';
const STRICT_MATCHING_PROPERTIES =
  'AJV strict mode (default, kept) refuses a property that also matches a patternProperties pattern (allowMatchingProperties is off)';
const UNKNOWN_KEYWORD_ID =
  'AJV registers an $id found inside an unknown keyword and refuses the schema ("resolves to more than one schema"); the suite expects it ignored';
const PROTO_KEY = 'AJV deviation: a "__proto__" entry in `properties` is never applied (AJV skips that key)';
const DYNAMIC_REF = 'AJV deviation: its $dynamicRef resolution is partial (dynamic scope, non-fragment $dynamicRef, boolean targets)';
const REF_OVERFLOW = 'AJV overflows its stack compiling a relative/URN $ref into a subschema with its own $id; compilePayloadSchema reports PayloadSchemaError';
const UNEVALUATED = 'AJV deviation: unevaluatedItems/unevaluatedProperties miss annotations from nested items/contains and from if without then';

export interface Exclusion {
  file: string;
  /** omitted: every group of the file */
  group?: string;
  /** omitted: every test of the group */
  tests?: string[];
  reason: string;
}

export const EXCLUDED: Exclusion[] = [
  // remote references
  { file: 'refRemote.json', reason: REMOTE },
  { file: 'vocabulary.json', reason: REMOTE_META },
  { file: 'unknownKeyword.json', group: '$id inside an unknown keyword is not a real identifier', reason: UNKNOWN_KEYWORD_ID },
  { file: 'dynamicRef.json', group: 'strict-tree schema, guards against misspelled properties', reason: REMOTE },
  { file: 'dynamicRef.json', group: 'tests for implementation dynamic anchor and reference link', reason: REMOTE },
  { file: 'dynamicRef.json', group: '$ref and $dynamicAnchor are independent of order - $defs first', reason: REMOTE },
  { file: 'dynamicRef.json', group: '$ref and $dynamicAnchor are independent of order - $ref first', reason: REMOTE },

  // formats: asserted by design, unknown ones refused
  { file: 'format.json', group: 'idn-email format', reason: FORMAT_UNKNOWN },
  { file: 'format.json', group: 'idn-hostname format', reason: FORMAT_UNKNOWN },
  { file: 'format.json', group: 'iri format', reason: FORMAT_UNKNOWN },
  { file: 'format.json', group: 'iri-reference format', reason: FORMAT_UNKNOWN },

  // AJV's default strict mode
  { file: 'if-then-else.json', group: 'ignore if without then or else', reason: STRICT_LONE_IF },
  { file: 'if-then-else.json', group: 'ignore then without if', reason: STRICT_LONE_IF },
  { file: 'if-then-else.json', group: 'ignore else without if', reason: STRICT_LONE_IF },
  { file: 'if-then-else.json', group: 'non-interference across combined schemas', reason: STRICT_LONE_IF },
  { file: 'ref.json', group: 'ref to if', reason: STRICT_LONE_IF },
  { file: 'ref.json', group: 'ref to then', reason: STRICT_LONE_IF },
  { file: 'ref.json', group: 'ref to else', reason: STRICT_LONE_IF },
  { file: 'unevaluatedItems.json', group: 'unevaluatedItems and contains interact to control item dependency relationship', reason: STRICT_LONE_IF },
  { file: 'maxContains.json', group: 'maxContains without contains is ignored', reason: STRICT_CONTAINS },
  { file: 'minContains.json', group: 'minContains without contains is ignored', reason: STRICT_CONTAINS },
  { file: 'minContains.json', group: 'maxContains < minContains', reason: STRICT_CONTAINS },
  { file: 'minContains.json', group: 'minContains = 0', reason: STRICT_CONTAINS },
  { file: 'properties.json', group: 'properties, patternProperties, additionalProperties interaction', reason: STRICT_MATCHING_PROPERTIES },

  // AJV's own deviations
  { file: 'properties.json', group: 'properties whose names are Javascript object property names', tests: ['__proto__ not valid'], reason: PROTO_KEY },
  { file: 'ref.json', group: 'refs with relative uris and defs', reason: REF_OVERFLOW },
  { file: 'ref.json', group: 'relative refs with absolute uris and defs', reason: REF_OVERFLOW },
  { file: 'ref.json', group: 'URN ref with nested pointer ref', reason: REF_OVERFLOW },
  ...[
    'A $dynamicRef to a $dynamicAnchor in the same schema resource behaves like a normal $ref to an $anchor',
    'A $dynamicRef to an $anchor in the same schema resource behaves like a normal $ref to an $anchor',
    'A $dynamicRef resolves to the first $dynamicAnchor still in scope that is encountered when the schema is evaluated',
    'A $dynamicRef with intermediate scopes that don\'t include a matching $dynamicAnchor does not affect dynamic scope resolution',
  ].map((group): Exclusion => ({ file: 'dynamicRef.json', group, tests: ['An array of strings is valid'], reason: DYNAMIC_REF })),
  { file: 'dynamicRef.json', group: 'A $dynamicRef without anchor in fragment behaves identical to $ref', tests: ['An array of numbers is valid'], reason: DYNAMIC_REF },
  { file: 'dynamicRef.json', group: 'An $anchor with the same name as a $dynamicAnchor is not used for dynamic scope resolution', reason: DYNAMIC_REF },
  { file: 'dynamicRef.json', group: 'A $dynamicRef without a matching $dynamicAnchor in the same schema resource behaves like a normal $ref to $anchor', reason: DYNAMIC_REF },
  { file: 'dynamicRef.json', group: 'A $dynamicRef with a non-matching $dynamicAnchor in the same schema resource behaves like a normal $ref to $anchor', reason: DYNAMIC_REF },
  { file: 'dynamicRef.json', group: 'A $dynamicRef that initially resolves to a schema with a matching $dynamicAnchor resolves to the first $dynamicAnchor in the dynamic scope', reason: DYNAMIC_REF },
  { file: 'dynamicRef.json', group: 'A $dynamicRef that initially resolves to a schema without a matching $dynamicAnchor behaves like a normal $ref to $anchor', reason: DYNAMIC_REF },
  { file: 'dynamicRef.json', group: 'after leaving a dynamic scope, it is not used by a $dynamicRef', reason: DYNAMIC_REF },
  { file: 'unevaluatedItems.json', group: 'unevaluatedItems with nested items', tests: ['with no additional items', 'with invalid additional item'], reason: UNEVALUATED },
  { file: 'unevaluatedItems.json', group: 'unevaluatedItems depends on adjacent contains', tests: ['contains passes, second item is not evaluated'], reason: UNEVALUATED },
  { file: 'unevaluatedItems.json', group: 'unevaluatedItems depends on multiple nested contains', tests: ['7 not evaluated, fails unevaluatedItems'], reason: UNEVALUATED },
  {
    file: 'unevaluatedProperties.json',
    group: 'unevaluatedProperties with if/then/else, then not defined',
    tests: ['when if is false and has unevaluated properties'],
    reason: UNEVALUATED,
  },
];

export interface SuiteTest {
  description: string;
  data: unknown;
  valid: boolean;
}
export interface SuiteGroup {
  description: string;
  schema: unknown;
  tests: SuiteTest[];
}

export function exclusionFor(file: string, group: string, test: string): Exclusion | undefined {
  return EXCLUDED.find((x) => x.file === file && (x.group === undefined || x.group === group) && (x.tests === undefined || x.tests.includes(test)));
}

