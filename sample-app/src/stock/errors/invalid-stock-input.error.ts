import { StockError } from './stock.error';

/** An argument a stock repository cannot use; refused before anything is sent. */
export class InvalidStockInputError extends StockError {
  constructor(
    /** The argument. */
    readonly field: string,
    /** What it was. */
    readonly value: unknown,
    /** What it accepts. */
    readonly expected: string,
  ) {
    super(
      `${field} must be ${expected}; got ${typeof value === 'string' ? JSON.stringify(value) : String(value)}.`,
    );
  }
}
