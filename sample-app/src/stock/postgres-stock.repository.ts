import { Pool, type PoolConfig } from 'pg';
import { InvalidStockInputError } from './errors/invalid-stock-input.error';
import { StaleFencingTokenError } from './errors/stale-fencing-token.error';
import { UnknownProductError } from './errors/unknown-product.error';
import { checkFencingToken, checkProductId, checkSale, checkStock } from './stock-input';
import type { SaleWrite, StockRepository, StockState } from './stock-repository.interface';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The stock in PostgreSQL: `<schema>.stock (product_id, stock, last_fence)` and
 * `<schema>.orders`. A sale is one statement: an `UPDATE ... WHERE last_fence < $token` and the
 * order's `INSERT`, which only inserts when the update matched. PostgreSQL re-checks the
 * `WHERE` on the locked row when two writes meet, so of two writers the one with the smaller
 * token is refused whichever arrives first.
 *
 * @example
 * const stock = await PostgresStockRepository.open({ connectionString: process.env.DATABASE_URL }, 'shop');
 * await stock.writeSale('p-1', { stockAfter: 41, orderId }, lock.fencingToken);
 */
export class PostgresStockRepository implements StockRepository {
  private readonly table: { stock: string; orders: string };

  private constructor(
    private readonly pool: Pool,
    private readonly schema: string,
  ) {
    this.table = { stock: `"${schema}".stock`, orders: `"${schema}".orders` };
  }

  /**
   * Connects and creates the schema and its two tables if they are missing.
   * @param schema a lower-case identifier (`[a-z_][a-z0-9_]*`, at most 63 characters)
   * @throws InvalidStockInputError for another schema name, before connecting
   */
  static async open(connection: PoolConfig, schema = 'shop'): Promise<PostgresStockRepository> {
    if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
      throw new InvalidStockInputError(
        'schema',
        schema,
        'a lower-case PostgreSQL identifier: letters, digits and _, not starting with a digit, at most 63 characters',
      );
    }
    const pool = new Pool({ max: 10, ...connection });
    // An idle connection that breaks emits 'error' on the pool; unheard, it would end the process.
    pool.on('error', () => undefined);
    const repository = new PostgresStockRepository(pool, schema);
    try {
      await repository.createTables();
    } catch (error) {
      await pool.end();
      throw error;
    }
    return repository;
  }

  async reset(productId: string, stock: number): Promise<void> {
    checkProductId(productId);
    checkStock('stock', stock);
    await this.transaction(async (query) => {
      await query(
        `INSERT INTO ${this.table.stock} (product_id, stock) VALUES ($1, $2)
         ON CONFLICT (product_id) DO UPDATE SET stock = EXCLUDED.stock`,
        [productId, stock],
      );
      await query(`DELETE FROM ${this.table.orders} WHERE product_id = $1`, [productId]);
    });
  }

  async stock(productId: string): Promise<number> {
    checkProductId(productId);
    const { rows } = await this.pool.query<{ stock: number }>(
      `SELECT stock FROM ${this.table.stock} WHERE product_id = $1`,
      [productId],
    );
    return rows[0]?.stock ?? 0;
  }

  async state(productId: string): Promise<StockState> {
    checkProductId(productId);
    const [stock, orders] = await Promise.all([
      this.pool.query<{ stock: number; last_fence: string }>(
        `SELECT stock, last_fence FROM ${this.table.stock} WHERE product_id = $1`,
        [productId],
      ),
      this.pool.query<{ order_id: string }>(
        `SELECT order_id FROM ${this.table.orders} WHERE product_id = $1 ORDER BY id`,
        [productId],
      ),
    ]);
    return {
      stock: stock.rows[0]?.stock ?? 0,
      // bigint arrives as a string; tokens stay below 2^53, so Number() is exact.
      lastFencingToken: Number(stock.rows[0]?.last_fence ?? 0),
      orders: orders.rows.map((row) => row.order_id),
    };
  }

  async writeSale(productId: string, sale: SaleWrite, fencingToken: number): Promise<void> {
    checkProductId(productId);
    checkSale(sale);
    checkFencingToken(fencingToken);
    const { rowCount } = await this.pool.query(
      `WITH accepted AS (
         UPDATE ${this.table.stock} SET stock = $3, last_fence = $2
          WHERE product_id = $1 AND last_fence < $2
         RETURNING product_id
       )
       INSERT INTO ${this.table.orders} (order_id, product_id, fencing_token)
       SELECT $4, product_id, $2 FROM accepted`,
      [productId, fencingToken, sale.stockAfter, sale.orderId],
    );
    if (rowCount === 1) return;
    // Refused, or no such product: this read only chooses the error, the refusal was atomic.
    const { rows } = await this.pool.query<{ last_fence: string }>(
      `SELECT last_fence FROM ${this.table.stock} WHERE product_id = $1`,
      [productId],
    );
    if (rows.length === 0) throw new UnknownProductError(productId);
    throw new StaleFencingTokenError(productId, fencingToken, Number(rows[0]!.last_fence));
  }

  async writeSaleUnfenced(productId: string, sale: SaleWrite): Promise<void> {
    checkProductId(productId);
    checkSale(sale);
    const { rowCount } = await this.pool.query(
      `WITH written AS (
         UPDATE ${this.table.stock} SET stock = $2 WHERE product_id = $1 RETURNING product_id
       )
       INSERT INTO ${this.table.orders} (order_id, product_id)
       SELECT $3, product_id FROM written`,
      [productId, sale.stockAfter, sale.orderId],
    );
    if (rowCount !== 1) throw new UnknownProductError(productId);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async createTables(): Promise<void> {
    await this.transaction(async (query) => {
      // Instances starting together would race on CREATE ... IF NOT EXISTS (it can still fail
      // with a duplicate key): one at a time, per schema.
      await query('SELECT pg_advisory_xact_lock(hashtext($1))', [
        `nestjs-redis-lock sample ${this.schema}`,
      ]);
      await query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
      await query(
        `CREATE TABLE IF NOT EXISTS ${this.table.stock} (
           product_id text PRIMARY KEY,
           stock integer NOT NULL CHECK (stock >= 0),
           -- The fencing token of the last sale written; a sale needs a larger one.
           last_fence bigint NOT NULL DEFAULT 0
         )`,
      );
      await query(
        `CREATE TABLE IF NOT EXISTS ${this.table.orders} (
           id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
           order_id text NOT NULL UNIQUE,
           product_id text NOT NULL REFERENCES ${this.table.stock} (product_id) ON DELETE CASCADE,
           fencing_token bigint
         )`,
      );
    });
  }

  private async transaction(
    work: (query: (text: string, values?: unknown[]) => Promise<unknown>) => Promise<void>,
  ): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await work((text, values) => client.query(text, values));
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}
