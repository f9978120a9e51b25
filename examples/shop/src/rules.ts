/**
 * The shop's authorization rules, in graphql-shield's vocabulary (`@rampart/auth`'s `shield`).
 * Declared only where they apply; every other field keeps its resolver untouched.
 */
import { allow, and, or, rule, shield } from '@rampart/auth';
import { getSecurityState, type Principal } from '@rampart/core';
import type { Customer, Order, ShopData } from './data.js';

const principal = (ctx: unknown): Principal | undefined => getSecurityState(ctx)?.principal;

/** Anyone who presented valid credentials. */
export const isAuthenticated = rule('isAuthenticated', { cache: 'contextual' })(
  (_p, _a, ctx) => (principal(ctx)?.kind ?? 'anonymous') !== 'anonymous',
);
/**
 * A customer of the shop: a user (not an API client, not a client-credentials token) whose id is a
 * customer's. Orders are booked to the caller, so only a customer may place one.
 */
export const isCustomer = rule('isCustomer', { cache: 'contextual' })((_p, _a, ctx) => {
  const p = principal(ctx);
  return p?.kind === 'user' && (ctx as { data: ShopData }).data.customers.has(p.id);
});
/** Back-office staff: tokens with the `admin` role. */
export const isAdmin = rule('isAdmin', { cache: 'contextual' })(
  (_p, _a, ctx) => principal(ctx)?.roles.has('admin') === true,
);
/** Integrations allowed to read every order (the partner API key). */
export const readsAllOrders = rule('readsAllOrders', { cache: 'contextual' })(
  (_p, _a, ctx) => principal(ctx)?.scopes.has('orders:read:all') === true,
);
/** The customer who placed the order. */
export const isOrderOwner = rule('isOrderOwner', { cache: 'strict' })(
  (order: Order, _a, ctx) => order.customerId === principal(ctx)?.id,
);
/** The customer themself (personal data). */
export const isCustomerThemself = rule('isCustomerThemself', { cache: 'strict' })(
  (customer: Customer, _a, ctx) => customer.id === principal(ctx)?.id,
);

/** The rule tree of the shop. */
export const shopRules = () =>
  shield(
    {
      Query: {
        customers: or(isAdmin, readsAllOrders),
        cart: isAuthenticated,
      },
      Mutation: {
        '*': and(isAuthenticated, isAdmin),
        login: allow,
        addToCart: isAuthenticated,
        // booked to the caller: a customer signed in, never an API client nor a default customer
        placeOrder: and(isAuthenticated, isCustomer),
      },
      // the event is an Order: the Order rules below decide on every event too
      Subscription: {
        orderUpdated: isAuthenticated,
      },
      // orders belong to a customer: the owner, admins and the partner integration may see them
      Order: or(isOrderOwner, isAdmin, readsAllOrders),
      // personal data: the customer themself and admins
      Customer: {
        email: or(isCustomerThemself, isAdmin),
        phone: or(isCustomerThemself, isAdmin),
        address: or(isCustomerThemself, isAdmin),
        orders: or(isCustomerThemself, isAdmin),
      },
    },
    { fallbackRule: allow },
  );
