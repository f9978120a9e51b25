import { ErrorCode, getSecurityState, rampartError } from '@rampart/core';
import DataLoader from 'dataloader';
import { GraphQLError } from 'graphql';
import type { Category, Customer, Order, OrderLine, Product, ShopData } from './data.js';

/** The example's own context (Rampart's security state rides along under a symbol). */
export interface ShopContext {
  data: ShopData;
  loaders: {
    category: DataLoader<string, Category | undefined>;
    product: DataLoader<string, Product | undefined>;
    customer: DataLoader<string, Customer | undefined>;
  };
}

/** Per-request loaders: batch lookups of the same kind made in one tick. */
export function createLoaders(data: ShopData): ShopContext['loaders'] {
  return {
    category: new DataLoader(async (ids) => ids.map((id) => data.categories.get(id))),
    product: new DataLoader(async (ids) => ids.map((id) => data.products.get(id))),
    customer: new DataLoader(async (ids) => ids.map((id) => data.customers.get(id))),
  };
}

/** Lines per order and units per line a storefront can order at once. */
export const ORDER_LIMITS = Object.freeze({ maxLines: 50, maxQuantity: 100 });
/** The largest amount `Money.amount` (a GraphQL `Int`) can carry. */
const MAX_AMOUNT = 2 ** 31 - 1;

const money = (amount: number) => ({ amount, currency: 'USD' });
const badInput = (message: string) => new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
const clampFirst = (first: number | null | undefined, max = 1000) => Math.max(0, Math.min(first ?? 20, max));
const notFound = (what: string) => new GraphQLError(`${what} not found`, { extensions: { code: 'NOT_FOUND' } });
const me = (ctx: ShopContext) => getSecurityState(ctx)?.principal;

function nodeType(id: string): string | undefined {
  if (id.startsWith('prod-')) return 'Product';
  if (id.startsWith('cat-')) return 'Category';
  if (id.startsWith('cust-')) return 'Customer';
  if (id.startsWith('order-')) return 'Order';
  return undefined;
}

/** The order's customer, the back office (admins) and integrations that read every order. */
function mayWatch(order: Order, ctx: ShopContext): boolean {
  const p = me(ctx);
  if (!p) return false;
  return order.customerId === p.id || p.roles.has('admin') || p.scopes.has('orders:read:all');
}

function cartOf(ctx: ShopContext) {
  const owner = me(ctx)?.id ?? 'anonymous';
  let cart = ctx.data.carts.get(owner);
  if (!cart) {
    cart = new Map();
    ctx.data.carts.set(owner, cart);
  }
  return { id: `cart-${owner}`, lines: cart };
}

function validQuantity(quantity: number): boolean {
  return Number.isInteger(quantity) && quantity >= 1 && quantity <= ORDER_LIMITS.maxQuantity;
}

/**
 * The lines of a new order, checked so that no stored order can break a list later: 1 to 50 lines of 1
 * to 100 units of a known product, and a total a GraphQL `Int` can carry. BAD_USER_INPUT otherwise.
 */
function orderLines(items: ReadonlyArray<{ productId: string; quantity: number }>, ctx: ShopContext): OrderLine[] {
  if (items.length < 1 || items.length > ORDER_LIMITS.maxLines) {
    throw badInput(`an order has from 1 to ${ORDER_LIMITS.maxLines} lines, got ${items.length}`);
  }
  let total = 0;
  const lines = items.map((item, i) => {
    if (!validQuantity(item.quantity)) {
      throw badInput(`items[${i}].quantity must be from 1 to ${ORDER_LIMITS.maxQuantity}`);
    }
    const product = ctx.data.products.get(item.productId);
    if (!product) throw notFound('Product');
    total += item.quantity * product.priceCents;
    return { productId: product.id, quantity: item.quantity, unitPriceCents: product.priceCents };
  });
  if (total > MAX_AMOUNT) throw badInput('the order total is too large');
  return lines;
}

export const resolvers = {
  Node: {
    __resolveType: (obj: { id: string }) => nodeType(obj.id) ?? null,
  },
  SearchResult: {
    __resolveType: (obj: { id: string }) => nodeType(obj.id) ?? null,
  },
  Query: {
    node: (_: unknown, { id }: { id: string }, ctx: ShopContext) => {
      switch (nodeType(id)) {
        case 'Product':
          return ctx.data.products.get(id) ?? null;
        case 'Category':
          return ctx.data.categories.get(id) ?? null;
        case 'Customer':
          return ctx.data.customers.get(id) ?? null;
        case 'Order':
          return ctx.data.orders.get(id) ?? null;
        default:
          return null;
      }
    },
    product: (_: unknown, { id }: { id: string }, ctx: ShopContext) => ctx.data.products.get(id) ?? null,
    products: (_: unknown, args: { first?: number; categoryId?: string }, ctx: ShopContext) => {
      const out: Product[] = [];
      const n = clampFirst(args.first);
      for (const p of ctx.data.products.values()) {
        if (out.length >= n) break;
        if (!args.categoryId || p.categoryId === args.categoryId) out.push(p);
      }
      return out;
    },
    categories: (_: unknown, __: unknown, ctx: ShopContext) => [...ctx.data.categories.values()],
    search: (
      _: unknown,
      { text, first, includeCustomers }: { text: string; first?: number; includeCustomers?: boolean },
      ctx: ShopContext,
    ) => {
      const needle = text.toLowerCase();
      const n = clampFirst(first, 100);
      const out: Array<Product | Category | Customer> = [];
      const collections = includeCustomers
        ? [ctx.data.categories, ctx.data.products, ctx.data.customers]
        : [ctx.data.categories, ctx.data.products];
      for (const coll of collections) {
        for (const item of (coll as Map<string, Product | Category | Customer>).values()) {
          if (out.length >= n) return out;
          if (item.name.toLowerCase().includes(needle)) out.push(item);
        }
      }
      return out;
    },
    me: (_: unknown, __: unknown, ctx: ShopContext) => {
      const p = me(ctx);
      return p && p.kind === 'user' ? (ctx.data.customers.get(p.id) ?? null) : null;
    },
    customer: (_: unknown, { id }: { id: string }, ctx: ShopContext) => ctx.data.customers.get(id) ?? null,
    customers: (_: unknown, { first }: { first?: number }, ctx: ShopContext) =>
      [...ctx.data.customers.values()].slice(0, clampFirst(first)),
    order: (_: unknown, { id }: { id: string }, ctx: ShopContext) => ctx.data.orders.get(id) ?? null,
    orders: (_: unknown, { first }: { first?: number }, ctx: ShopContext) => {
      const p = me(ctx);
      const all = [...ctx.data.orders.values()];
      // customers see their own orders; services (back office) see all
      const mine = p?.kind === 'user' ? all.filter((o) => o.customerId === p.id) : all;
      return mine.slice(0, clampFirst(first));
    },
    cart: (_: unknown, __: unknown, ctx: ShopContext) => cartOf(ctx),
  },
  Mutation: {
    login: (_: unknown, { email, password }: { email: string; password: string }, ctx: ShopContext) => {
      const customer = ctx.data.checkPassword(email, password);
      return { success: customer !== undefined, token: null, customer: customer ?? null };
    },
    addToCart: (_: unknown, { productId, quantity }: { productId: string; quantity: number }, ctx: ShopContext) => {
      if (!ctx.data.products.has(productId)) throw notFound('Product');
      if (!validQuantity(quantity)) throw badInput(`quantity must be from 1 to ${ORDER_LIMITS.maxQuantity}`);
      const cart = cartOf(ctx);
      cart.lines.set(productId, (cart.lines.get(productId) ?? 0) + quantity);
      return cart;
    },
    placeOrder: (
      _: unknown,
      { input }: { input: { items: Array<{ productId: string; quantity: number }> } },
      ctx: ShopContext,
    ) => {
      // the rules let only customers through; the order is booked to the caller, never to someone else
      const p = me(ctx);
      const customer = p?.kind === 'user' ? ctx.data.customers.get(p.id) : undefined;
      if (!customer)
        throw rampartError(ErrorCode.FORBIDDEN, 'Only a signed-in customer can place an order.', { scope: 'field' });
      const lines = orderLines(input.items, ctx);
      const order: Order = {
        id: ctx.data.newId('order'),
        customerId: customer.id,
        lines,
        status: 'PENDING',
        createdAt: new Date().toISOString(),
      };
      ctx.data.orders.set(order.id, order);
      ctx.data.orderChanged(order);
      return order;
    },
    updateOrderStatus: (_: unknown, { id, status }: { id: string; status: Order['status'] }, ctx: ShopContext) => {
      const order = ctx.data.orders.get(id);
      if (!order) throw notFound('Order');
      order.status = status;
      ctx.data.orderChanged(order);
      return order;
    },
    createProduct: (
      _: unknown,
      { input }: { input: Omit<Product, 'id'> & { priceCents: number } },
      ctx: ShopContext,
    ) => {
      const product: Product = {
        id: ctx.data.newId('prod'),
        sku: input.sku,
        name: input.name,
        description: input.description ?? null,
        priceCents: input.priceCents,
        stock: input.stock,
        categoryId: input.categoryId ?? null,
      };
      ctx.data.products.set(product.id, product);
      return product;
    },
    updateStock: (_: unknown, { productId, stock }: { productId: string; stock: number }, ctx: ShopContext) => {
      const product = ctx.data.products.get(productId);
      if (!product) throw notFound('Product');
      product.stock = stock;
      return product;
    },
    deleteCustomer: (_: unknown, { id }: { id: string }, ctx: ShopContext) => ctx.data.customers.delete(id),
  },
  Subscription: {
    orderUpdated: {
      // who may watch is decided when the subscription starts (the rules decide again on every event):
      // the order's customer, the back office and integrations that read every order
      subscribe: (_: unknown, { orderId }: { orderId: string }, ctx: ShopContext) => {
        const order = ctx.data.orders.get(orderId);
        if (!order || !mayWatch(order, ctx)) throw notFound('Order');
        return ctx.data.orderChanges(orderId);
      },
      resolve: (order: Order) => order,
    },
  },
  Category: {
    products: (c: Category, { first }: { first?: number }, ctx: ShopContext) => {
      const out: Product[] = [];
      const n = clampFirst(first);
      for (const p of ctx.data.products.values()) {
        if (out.length >= n) break;
        if (p.categoryId === c.id) out.push(p);
      }
      return out;
    },
  },
  Product: {
    price: (p: Product) => money(p.priceCents),
    category: (p: Product, _: unknown, ctx: ShopContext) =>
      p.categoryId ? ctx.loaders.category.load(p.categoryId) : null,
  },
  Customer: {
    orders: (c: Customer, { first }: { first?: number }, ctx: ShopContext) =>
      [...ctx.data.orders.values()].filter((o) => o.customerId === c.id).slice(0, clampFirst(first)),
  },
  Order: {
    customer: (o: Order, _: unknown, ctx: ShopContext) => ctx.loaders.customer.load(o.customerId),
    items: (o: Order, _: unknown, ctx: ShopContext) =>
      o.lines.map((l) => ({
        product: () => ctx.loaders.product.load(l.productId),
        quantity: l.quantity,
        unitPrice: money(l.unitPriceCents),
      })),
    total: (o: Order) => money(o.lines.reduce((s, l) => s + l.quantity * l.unitPriceCents, 0)),
  },
  Cart: {
    items: (cart: { lines: Map<string, number> }, _: unknown, ctx: ShopContext) =>
      [...cart.lines].map(([productId, quantity]) => ({
        product: () => ctx.loaders.product.load(productId),
        quantity,
      })),
    total: (cart: { lines: Map<string, number> }, _: unknown, ctx: ShopContext) =>
      money([...cart.lines].reduce((s, [id, q]) => s + q * (ctx.data.products.get(id)?.priceCents ?? 0), 0)),
  },
};
