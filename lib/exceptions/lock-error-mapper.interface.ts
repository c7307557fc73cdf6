import type { ArgumentsHost } from '@nestjs/common';
import type { LockFailure } from './lock-failure.interface.js';

/**
 * Your own answer to a lock failure that reaches a controller, resolver, gateway or message
 * handler: return what to throw instead (an `HttpException`, an `RpcException`, a
 * `WsException`, a GraphQL error...), or `undefined` for the default answer. `host.getType()`
 * says which transport asks.
 *
 * @example
 * mapErrors: (failure, host) =>
 *   failure.kind === 'locked' && host.getType() === 'http'
 *     ? new HttpException('Try again in a minute.', 423)
 *     : undefined
 * @publicApi
 */
export type LockErrorMapper = (failure: LockFailure, host: ArgumentsHost) => unknown;

/**
 * What becomes of a lock error that reaches a handler: `true` the transport's answer (409, 503,
 * 400, or their GraphQL, RPC and WebSocket forms), `false` the error as it is (for your own
 * exception filters), or a function that decides.
 * @publicApi
 */
export type MapLockErrors = boolean | LockErrorMapper;
