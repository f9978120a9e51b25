// The benchmark's data: a seeded, deterministic store (the same in every server process).
// 20 categories, 2,000 products, 50 customers, 1,000 orders of exactly 3 lines each.

/** A category of products. */
export interface Category {
  id: string;
  name: string;
}
/** A product of the catalogue. */
export interface Product {
  id: string;
  sku: string;
  name: string;
  priceCents: number;
  stock: number;
  categoryId: string;
}
/** A customer (personal data: `email`). */
export interface Customer {
  id: string;
  name: string;
  email: string;
}
/** One line of an order. */
export interface OrderLine {
  productId: string;
  quantity: number;
  unitPriceCents: number;
}
/** An order, booked to a customer. */
export interface Order {
  id: string;
  customerId: string;
  status: 'PENDING' | 'PAID' | 'SHIPPED' | 'CANCELLED';
  lines: OrderLine[];
}

/** A small deterministic generator (mulberry32), so every process seeds the same data. */
function prng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** The store every server of the benchmark serves. */
export class BenchData {
  readonly categories = new Map<string, Category>();
  readonly products = new Map<string, Product>();
  readonly customers = new Map<string, Customer>();
  readonly orders: Order[] = [];

  constructor() {
    const rnd = prng(16);
    for (let i = 1; i <= 20; i++) this.categories.set(`cat-${i}`, { id: `cat-${i}`, name: `Category ${i}` });
    for (let i = 1; i <= 2000; i++) {
      this.products.set(`prod-${i}`, {
        id: `prod-${i}`,
        sku: `SKU-${String(i).padStart(5, '0')}`,
        name: `Product ${i}`,
        priceCents: 100 + Math.floor(rnd() * 10_000),
        stock: Math.floor(rnd() * 100),
        categoryId: `cat-${1 + (i % 20)}`,
      });
    }
    for (let i = 1; i <= 50; i++) {
      this.customers.set(`cust-${i}`, { id: `cust-${i}`, name: `Customer ${i}`, email: `customer${i}@example.com` });
    }
    for (let i = 1; i <= 1000; i++) {
      const lines: OrderLine[] = [];
      for (let j = 0; j < 3; j++) {
        const p = this.products.get(`prod-${1 + Math.floor(rnd() * 2000)}`)!;
        lines.push({ productId: p.id, quantity: 1 + Math.floor(rnd() * 3), unitPriceCents: p.priceCents });
      }
      const status = (['PENDING', 'PAID', 'SHIPPED', 'CANCELLED'] as const)[i % 4]!;
      this.orders.push({ id: `order-${i}`, customerId: `cust-${1 + (i % 50)}`, status, lines });
    }
  }
}
