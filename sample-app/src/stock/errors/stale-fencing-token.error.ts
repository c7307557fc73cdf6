import { StockError } from './stock.error';

/**
 * A fenced write was refused: the stock already accepted a write with a fencing token at least
 * as large, so the writer's lock expired and another holder took it since. Nothing was written.
 */
export class StaleFencingTokenError extends StockError {
  constructor(
    readonly productId: string,
    /** The token the refused write carried. */
    readonly fencingToken: number,
    /** The token of the last write the stock accepted. */
    readonly lastFencingToken: number,
  ) {
    super(
      `The stock of "${productId}" refused a write with fencing token ${fencingToken}: it already accepted token ${lastFencingToken}, from a later holder of the lock. ` +
        'This holder lost its lock (it was paused or cut off past the ttl) and must not write; nothing was written. Take the lock again and redo the sale from a fresh read.',
    );
  }
}
