/**
 * What an instance reports with `SALE_EVENTS=stdout`, one `EVENT {json}` line each: the life
 * of the stock locks and the reads and writes of the stock. `t` is the instance's
 * `Date.now()` when it happened (every instance of the demo shares one machine's clock).
 */
export type SaleEvent =
  | {
      readonly type: 'acquired';
      readonly t: number;
      readonly key: string;
      readonly token: number;
    }
  | {
      readonly type: 'released';
      readonly t: number;
      readonly key: string;
      readonly token: number;
    }
  | {
      readonly type: 'lost';
      readonly t: number;
      readonly key: string;
      readonly token: number;
      readonly reason: string;
    }
  | {
      /** The stock was read for a sale; `token` is the lock's, absent without the lock. */
      readonly type: 'read';
      readonly t: number;
      readonly productId: string;
      readonly stock: number;
      readonly token?: number;
    }
  | {
      /**
       * A sale was written (`accepted`) or refused by the fence (`lastToken` is what the stock
       * had accepted). `sentAt` is when the write left, `fenced` whether it carried the token.
       */
      readonly type: 'write';
      readonly t: number;
      readonly sentAt: number;
      readonly productId: string;
      readonly stockAfter: number;
      readonly fenced: boolean;
      readonly accepted: boolean;
      readonly token?: number;
      readonly lastToken?: number;
    };

/** The prefix of an event line on an instance's stdout. */
export const SALE_EVENT_PREFIX = 'EVENT ';

/** Distributes `Omit` over the union, so each event type keeps its own fields. */
export type SaleEventInput = SaleEvent extends infer E
  ? E extends SaleEvent
    ? Omit<E, 't'>
    : never
  : never;
