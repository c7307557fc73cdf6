import { InvalidStockInputError } from './errors/invalid-stock-input.error';
import type { SaleWrite } from './stock-repository.interface';

// Checks shared by both repositories, so a bad argument fails the same way before any I/O.

export function checkProductId(productId: unknown): string {
  if (typeof productId !== 'string' || productId.length === 0 || productId.length > 200) {
    throw new InvalidStockInputError(
      'productId',
      productId,
      'a non-empty string of at most 200 characters',
    );
  }
  return productId;
}

export function checkStock(field: string, stock: unknown): number {
  if (
    typeof stock !== 'number' ||
    !Number.isSafeInteger(stock) ||
    stock < 0 ||
    stock > 2 ** 31 - 1
  ) {
    throw new InvalidStockInputError(field, stock, 'a whole number from 0 to 2147483647');
  }
  return stock;
}

export function checkSale(sale: SaleWrite): SaleWrite {
  checkStock('sale.stockAfter', sale?.stockAfter);
  if (typeof sale.orderId !== 'string' || sale.orderId.length === 0) {
    throw new InvalidStockInputError('sale.orderId', sale.orderId, 'a non-empty string');
  }
  return sale;
}

export function checkFencingToken(token: unknown): number {
  if (typeof token !== 'number' || !Number.isSafeInteger(token) || token <= 0) {
    throw new InvalidStockInputError(
      'fencingToken',
      token,
      'a positive safe integer: the `fencingToken` of the lock held while the stock was read',
    );
  }
  return token;
}
