import { StockError } from './stock.error';

/** A sale was written for a product that has no stock record. Nothing was written. */
export class UnknownProductError extends StockError {
  constructor(readonly productId: string) {
    super(
      `There is no stock for product "${productId}": set it first (PUT /products/${productId}/stock, or reset()).`,
    );
  }
}
