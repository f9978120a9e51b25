import { createHash, timingSafeEqual } from 'node:crypto';
import { EventEmitter, on } from 'node:events';

/** The in-memory, seeded store of the example. Deterministic: the same data on every start. */
export interface Category {
  id: string;
  name: string;
}
export interface Product {
  id: string;
  sku: string;
  name: string;
  description: string | null;
  priceCents: number;
  stock: number;
  categoryId: string | null;
}
export interface Address {
  street: string;
  city: string;
  postalCode: string;
  country: string;
}
export interface Customer {
  id: string;
  email: string;
  name: string;
  phone: string | null;
  address: Address | null;
  passwordHash: Buffer;
}
export interface OrderLine {
  productId: string;
  quantity: number;
  unitPriceCents: number;
}
export interface Order {
  id: string;
  customerId: string;
  lines: OrderLine[];
  status: 'PENDING' | 'PAID' | 'SHIPPED' | 'CANCELLED';
  createdAt: string;
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();

/** The password every seeded customer has in this demo (documented in the example's README). */
export const DEMO_PASSWORD = 'correct horse battery staple';

/** A small deterministic pseudo-random sequence, so seeds are stable. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export class ShopData {
  readonly categories = new Map<string, Category>();
  readonly products = new Map<string, Product>();
  readonly customers = new Map<string, Customer>();
  readonly orders = new Map<string, Order>();
  readonly carts = new Map<string, Map<string, number>>();
  #nextId = 1;
  /** Order changes, by order id (one listener per open subscription, so no listener cap). */
  readonly #orderEvents = new EventEmitter().setMaxListeners(0);

  constructor(sizes = { categories: 20, products: 2000, customers: 50, orders: 400 }) {
    const rnd = prng(42);
    for (let i = 1; i <= sizes.categories; i++)
      this.categories.set(`cat-${i}`, { id: `cat-${i}`, name: `Category ${i}` });
    for (let i = 1; i <= sizes.products; i++) {
      this.products.set(`prod-${i}`, {
        id: `prod-${i}`,
        sku: `SKU-${String(i).padStart(5, '0')}`,
        name: `Product ${i}`,
        description: i % 3 === 0 ? null : `A fine product number ${i}`,
        priceCents: 100 + Math.floor(rnd() * 10_000),
        stock: Math.floor(rnd() * 100),
        categoryId: `cat-${1 + (i % sizes.categories)}`,
      });
    }
    for (let i = 1; i <= sizes.customers; i++) {
      this.customers.set(`cust-${i}`, {
        id: `cust-${i}`,
        email: `customer${i}@example.com`,
        name: `Customer ${i}`,
        phone: `+1-555-01${String(i).padStart(2, '0')}`,
        address: { street: `${i} Main Street`, city: 'Springfield', postalCode: `${10000 + i}`, country: 'US' },
        passwordHash: sha256(DEMO_PASSWORD),
      });
    }
    for (let i = 1; i <= sizes.orders; i++) {
      const lines: OrderLine[] = [];
      const n = 1 + Math.floor(rnd() * 4);
      for (let j = 0; j < n; j++) {
        const p = this.products.get(`prod-${1 + Math.floor(rnd() * sizes.products)}`) as Product;
        lines.push({ productId: p.id, quantity: 1 + Math.floor(rnd() * 3), unitPriceCents: p.priceCents });
      }
      this.orders.set(`order-${i}`, {
        id: `order-${i}`,
        customerId: `cust-${1 + (i % sizes.customers)}`,
        lines,
        status: (['PENDING', 'PAID', 'SHIPPED', 'CANCELLED'] as const)[i % 4] as Order['status'],
        createdAt: new Date(Date.UTC(2026, 0, 1) + i * 3_600_000).toISOString(),
      });
    }
  }

  /** Tells the subscribers of an order that it changed (placed, status updated). */
  orderChanged(order: Order): void {
    this.#orderEvents.emit(order.id, order);
  }

  /**
   * The changes of one order, as they happen, until the consumer stops (its listener goes with it).
   * An iterator, not an async generator: a generator waiting for the next change would hold back a
   * `return()` until the order changes again, and the subscription would never end.
   */
  orderChanges(orderId: string): AsyncIterableIterator<Order> {
    const changes = on(this.#orderEvents, orderId);
    return {
      async next() {
        const r = await changes.next();
        return r.done ? { done: true, value: undefined } : { done: false, value: (r.value as [Order])[0] };
      },
      async return() {
        await changes.return?.();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  newId(prefix: string): string {
    return `${prefix}-new-${this.#nextId++}`;
  }

  /** Checks a customer's password in constant time; returns the customer or undefined. */
  checkPassword(email: string, password: string): Customer | undefined {
    const candidate = sha256(password);
    let found: Customer | undefined;
    for (const c of this.customers.values()) if (c.email === email.toLowerCase()) found = c;
    const expected = found?.passwordHash ?? sha256('\u0000no such customer');
    const ok = timingSafeEqual(candidate, expected);
    return ok && found ? found : undefined;
  }
}
