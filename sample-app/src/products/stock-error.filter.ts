import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import { InvalidStockInputError } from '../stock/errors/invalid-stock-input.error';
import { StaleFencingTokenError } from '../stock/errors/stale-fencing-token.error';
import type { StockError } from '../stock/errors/stock.error';
import { UnknownProductError } from '../stock/errors/unknown-product.error';

/**
 * The stock's errors as HTTP answers: a stale write is a 409 that says no sale was made (the
 * buyer can try again), an unknown product a 404, a bad argument a 400.
 */
/** The part of Express's response this filter uses. */
interface JsonResponse {
  status(code: number): { json(body: unknown): void };
}

@Catch(StaleFencingTokenError, UnknownProductError, InvalidStockInputError)
export class StockErrorFilter implements ExceptionFilter<StockError> {
  catch(error: StockError, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<JsonResponse>();
    if (error instanceof StaleFencingTokenError) {
      response.status(409).json({ sold: false, reason: 'stale-lock', message: error.message });
    } else if (error instanceof UnknownProductError) {
      response.status(404).json({ statusCode: 404, error: 'Not Found', message: error.message });
    } else {
      response.status(400).json({ statusCode: 400, error: 'Bad Request', message: error.message });
    }
  }
}
