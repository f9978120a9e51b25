// Differential test: our depth equals graphql-depth-limit 1.1.0's (dev dependency, used as an oracle
// only) on its own documented cases and on generated valid operations.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import {
  buildSchema,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  getNamedType,
  isAbstractType,
  isCompositeType,
  isNonNullType,
  isObjectType,
  parse,
  validate,
} from 'graphql';
import { analyzeLimits } from '../src/index.js';
import { shopSchema } from './fixtures.js';

const require = createRequire(import.meta.url);
const depthLimit = require('graphql-depth-limit') as (
  max: number,
  options: object,
  callback: (depths: Record<string, number>) => void,
) => unknown;

function oracle(schema: GraphQLSchema, source: string): Record<string, number> {
  let depths: Record<string, number> = {};
  const errors = validate(schema, parse(source), [
    depthLimit(10_000, {}, (d) => {
      depths = d;
    }) as never,
  ]);
  assert.deepEqual(errors, []);
  return depths;
}

function ours(schema: GraphQLSchema, source: string): Record<string, number> {
  const doc = parse(source);
  const out: Record<string, number> = {};
  for (const def of doc.definitions) {
    if (def.kind !== 'OperationDefinition') continue;
    const name = def.name?.value ?? '';
    out[name] = analyzeLimits(schema, doc, { operationName: def.name ? name : undefined }).depth;
  }
  return out;
}

describe('depth equals graphql-depth-limit', () => {
  it("on graphql-depth-limit's documented cases", () => {
    // The schema and documents of graphql-depth-limit's README and test suite.
    const schema = buildSchema(`
      type Query { user(name: String): Human, version: String, user1: Human, user2: Human, user3: Human }
      type Human { name: String, email: String, address: Address, friends: [Human], pets: [Pet] }
      interface Pet { name: String, owner: Human }
      type Dog implements Pet { name: String, owner: Human }
      type Cat implements Pet { name: String, owner: Human }
      type Address { street: String, number: Int, city: String, country: String }
    `);
    const cases = [
      'query read0 { version }',
      'query read1 { version user { name } }',
      'query read2 { matt: user(name: "matt") { email } andy: user(name: "andy") { email address { city } } }',
      'query read3 { matt: user(name: "matt") { email } andy: user(name: "andy") { email address { city } pets { name owner { name } } } }',
      `query readDeep { user { ...humanInfo friends { ...humanInfo friends { ...humanInfo friends { name } } } } }
       fragment humanInfo on Human { name email address { city } pets { ... on Dog { name owner { name } } } }`,
      `query introspection { __schema { queryType { name } types { name fields { name type { ofType { name } } } } } }`,
      `query withTypename { user { __typename friends { __typename } } }`,
      `query a { user { name } } query b { user { friends { name } } } fragment x on Human { address { city } }`,
      `{ user1 { ...F } user2 { friends { ...F } } } fragment F on Human { pets { owner { address { city } } } }`,
    ];
    for (const c of cases) assert.deepEqual(ours(schema, c), oracle(schema, c), c);
  });

  it('on 1,200 generated valid operations with fragments, inline fragments and aliases', () => {
    const schema = shopSchema();
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    let alias = 0;
    const args = (f: GraphQLField<unknown, unknown>): string => {
      const parts: string[] = [];
      for (const a of f.args) {
        const t = getNamedType(a.type).name;
        if (a.name === 'first' || a.name === 'last') parts.push(`${a.name}: 2`);
        else if (isNonNullType(a.type)) {
          if (t === 'SearchInput') parts.push(`${a.name}: { text: "x", page: { first: 2 } }`);
          else if (a.name === 'ids') parts.push(`${a.name}: ["1"]`);
          else if (t === 'Int') parts.push(`${a.name}: 1`);
          else parts.push(`${a.name}: "1"`);
        }
      }
      // Only one slicing argument on reviews.
      const filtered = parts.filter(
        (p, i) => !(p.startsWith('last') && parts.some((q, j) => j < i && q.startsWith('first'))),
      );
      return filtered.length ? `(${filtered.join(', ')})` : '';
    };
    const fragments: { name: string; type: string; body: string }[] = [];
    const selection = (type: GraphQLCompositeType, depth: number, budget: { n: number }): string => {
      const parts: string[] = [];
      const count = 1 + Math.floor(rand() * 4);
      for (let i = 0; i < count && budget.n > 0; i++) {
        budget.n--;
        const r = rand();
        if (r < 0.1) {
          parts.push('__typename');
          continue;
        }
        if (r < 0.25 && depth < 7) {
          const cond = isAbstractType(type) ? pick(schema.getPossibleTypes(type)) : type;
          const withCond = rand() < 0.7;
          parts.push(
            `... ${withCond ? `on ${cond.name} ` : ''}{ ${selection(withCond ? cond : type, depth, budget)} }`,
          );
          continue;
        }
        if (r < 0.35) {
          const usable = fragments.filter((f) => {
            const ft = schema.getType(f.type);
            return ft === type || (isAbstractType(type) && isObjectType(ft) && schema.isSubType(type, ft));
          });
          if (usable.length) {
            parts.push(`...${pick(usable).name}`);
            continue;
          }
        }
        if (!('getFields' in type)) {
          parts.push('__typename');
          continue;
        }
        const fields = Object.values(type.getFields());
        const f = pick(fields);
        const named = getNamedType(f.type);
        const a = args(f);
        const prefix = a || rand() < 0.3 ? `a${alias++}: ` : '';
        if (isCompositeType(named)) {
          if (depth >= 7) {
            parts.push('__typename');
            continue;
          }
          parts.push(`${prefix}${f.name}${a} { ${selection(named, depth + 1, budget)} }`);
        } else {
          parts.push(`${prefix}${f.name}${a}`);
        }
      }
      if (parts.length === 0) parts.push('__typename');
      return parts.join(' ');
    };
    const composite = [
      'Product',
      'Customer',
      'Order',
      'Review',
      'Category',
      'ReviewConnection',
      'Node',
      'SearchResult',
    ];
    let valid = 0;
    let checked = 0;
    let withFragments = 0;
    let withInline = 0;
    for (let i = 0; valid < 1200 && i < 5000; i++) {
      fragments.length = 0;
      const nf = Math.floor(rand() * 4);
      const defs: string[] = [];
      for (let k = 0; k < nf; k++) {
        const tname = pick(composite);
        const body = selection(schema.getType(tname) as GraphQLCompositeType, 0, { n: 12 });
        const name = `F${k}`;
        defs.push(`fragment ${name} on ${tname} { ${body} }`);
        fragments.push({ name, type: tname, body });
      }
      const op = `query Op${i} { ${selection(schema.getQueryType() as GraphQLCompositeType, 0, { n: 25 })} }`;
      const used = defs.filter((d) => {
        const n = d.split(' ')[1] as string;
        return op.includes(`...${n}`) || defs.some((o) => o !== d && o.includes(`...${n}`));
      });
      const source = [op, ...used].join('\n');
      const doc = parse(source);
      if (validate(schema, doc).length > 0) continue;
      valid++;
      const expected = oracle(schema, source);
      assert.deepEqual(ours(schema, source), expected, source);
      checked++;
      if (source.includes('...F')) withFragments++;
      if (source.includes('... on')) withInline++;
    }
    assert.ok(checked >= 1000, `only ${checked} valid operations generated`);
    assert.ok(
      withFragments > 200 && withInline > 200,
      `${withFragments} with fragments, ${withInline} with inline fragments`,
    );
  });
});
