import { getDirective, MapperKind, mapSchema } from '@graphql-tools/utils';
import {
  ensureSecurityState,
  fieldCoordinate,
  getSecurityState,
  isThenable,
  pathToString,
  RampartConfigError,
  type SecurityState,
} from '@rampart/core';
import {
  defaultFieldResolver,
  type GraphQLFieldConfig,
  type GraphQLFieldResolver,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  isObjectType,
} from 'graphql';
import type { FieldRule } from './field-rule.js';
import { isPending } from './maybe-promise.js';
import type { BruteForceRule, RateLimiter } from './rate-limiter.js';

/**
 * SDL of the per-field directive: graphql-rate-limit-directive's `@rateLimit(limit, duration)` shape,
 * repeatable (several limits on one field), with an optional `by` (`"principal"`, `"ip"`,
 * `"args.<name>"`) and `name`. On an object it is the default of every field of that object that has
 * no `@rateLimit` of its own.
 */
export function rateLimitTypeDefs(directiveName = 'rateLimit'): string {
  return `"""Limits calls of a field (or of every field of an object): \`limit\` calls per \`duration\` seconds, counted per client (or \`by\` "ip" / "args.<name>"). Each resolver call, alias and list item counts."""
directive @${directiveName}(limit: Int!, duration: Int!, by: String, name: String) repeatable on OBJECT | FIELD_DEFINITION
`;
}

function rulesOf(schema: GraphQLSchema, node: Parameters<typeof getDirective>[1], name: string): FieldRule[] {
  const found = getDirective(schema, node, name) ?? [];
  return found.map((args) => ({
    limit: args.limit as number,
    duration: args.duration as number,
    by: (args.by as string | null | undefined) ?? undefined,
    name: (args.name as string | null | undefined) ?? undefined,
  }));
}

function stateOf(context: unknown, limiter: RateLimiter): SecurityState {
  return (
    getSecurityState(context) ??
    ensureSecurityState(context as object, limiter.options.clock ? { clock: limiter.options.clock } : undefined)
  );
}

/**
 * Wraps ONLY the fields that declare `@rateLimit` (on the field, on the same field of an interface the
 * object implements, or on the object) or carry a brute-force guard. Wrappers stay synchronous when the store is (memory). Fails at startup on bad directive
 * arguments and on brute-force coordinates that are not in the schema.
 */
export function transformRateLimitSchema(schema: GraphQLSchema, limiter: RateLimiter): GraphQLSchema {
  const name = limiter.options.directiveName;
  for (const coord of limiter.bruteForceFields) {
    const [typeName, fieldName] = coord.split('.') as [string, string];
    const type = schema.getType(typeName);
    const field = isObjectType(type) ? type.getFields()[fieldName] : undefined;
    if (!field) throw new RampartConfigError('rateLimit.bruteForce', `field ${coord} is not in the schema`);
    const arg = limiter.bruteForceFor(coord)?.identifierArgument?.split('.')[0];
    if (arg && !field.args.some((a) => a.name === arg)) {
      throw new RampartConfigError('rateLimit.bruteForce', `${coord} has no argument "${arg}"`);
    }
  }
  if (!schema.getDirective(name) && limiter.bruteForceFields.length === 0) return schema;
  const objectRules = new Map<string, FieldRule[]>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (isObjectType(type) && !type.name.startsWith('__')) {
      const declared = schema.getDirective(name) ? rulesOf(schema, type, name) : [];
      if (declared.length > 0) objectRules.set(type.name, declared);
    }
  }
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (config, fieldName, typeName) => {
      const coordinate = fieldCoordinate(typeName, fieldName);
      const declared = !!schema.getDirective(name);
      let rules = declared ? rulesOf(schema, config, name) : [];
      if (rules.length === 0 && declared) {
        // Directives on interface fields are not inherited by graphql-js: apply every implemented
        // interface's rules for this field (all of them are charged, so the most restrictive wins).
        const type = schema.getType(typeName);
        if (isObjectType(type)) {
          for (const iface of type.getInterfaces()) {
            const f = iface.getFields()[fieldName];
            if (f) rules = rules.concat(rulesOf(schema, f, name));
          }
        }
      }
      if (rules.length === 0) rules = objectRules.get(typeName) ?? [];
      const brute = limiter.bruteForceFor(coordinate);
      if (rules.length === 0 && !brute) return config;
      return wrap(config, coordinate, rules, brute, limiter);
    },
  });
}

function wrap(
  config: GraphQLFieldConfig<unknown, unknown>,
  coordinate: string,
  rules: readonly FieldRule[],
  brute: BruteForceRule | undefined,
  limiter: RateLimiter,
): GraphQLFieldConfig<unknown, unknown> {
  const resolve: GraphQLFieldResolver<unknown, unknown> = config.resolve ?? defaultFieldResolver;
  let inner = resolve;
  if (brute) {
    inner = (source, args, context, info) => {
      const state = stateOf(context, limiter);
      const path = pathToString(info.path);
      const begun = limiter.beginAttempt(brute, args, state, path);
      const run = (start: Awaited<typeof begun>): unknown => {
        if ('error' in start) throw start.error;
        const settle = (failed: boolean) => limiter.settleAttempt(brute, start.ticket, failed, state, path);
        let result: unknown;
        try {
          result = resolve(source, args, context, info);
        } catch (error) {
          return after(settle(true), () => {
            throw error;
          });
        }
        if (isThenable(result)) {
          // any thenable, as graphql-js awaits it (core's isThenable)
          return result.then(
            (value) => after(settle(isFailed(brute, value)), () => value),
            (error) =>
              after(settle(true), () => {
                throw error;
              }),
          );
        }
        return after(settle(isFailed(brute, result)), () => result);
      };
      return isPending(begun) ? begun.then(run) : run(begun);
    };
  }
  if (rules.length === 0) return { ...config, resolve: inner };
  const guarded = inner;
  const guard = limiter.compileField(coordinate, rules);
  return {
    ...config,
    resolve: (source, args, context, info: GraphQLResolveInfo) => {
      const state = stateOf(context, limiter);
      const checked = limiter.checkField(guard, args, state, info.path);
      if (isPending(checked)) {
        return checked.then((error) => {
          if (error) throw error;
          return guarded(source, args, context, info);
        });
      }
      if (checked) throw checked;
      return guarded(source, args, context, info);
    },
  };
}

function isFailed(rule: BruteForceRule, value: unknown): boolean {
  try {
    return rule.isFailure(value);
  } catch {
    return true;
  }
}

function after<T>(settled: void | Promise<void>, then: () => T): T | Promise<T> {
  return isPending(settled) ? settled.then(then) : then();
}
