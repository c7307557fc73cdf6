import { HttpException } from '@nestjs/common';
import { LockGraphQLError } from './lock-graphql.error.js';
import type { LockFailure } from './lock-failure.interface.js';

const REASON_PHRASES: Record<LockFailure['status'], string> = {
  400: 'Bad Request',
  409: 'Conflict',
  503: 'Service Unavailable',
};

/**
 * The exception that gives the client of a `type` handler (`host.getType()`) the answer to
 * `failure`, in the form that transport's own exception handling sends as it is:
 *
 * - `http`: an `HttpException` with the body `{ statusCode, error, message }`;
 * - `graphql`: an error whose `extensions.code` is the failure's code;
 * - `rpc`, `ws`: an `RpcException` or `WsException` of `{ status: 'error', code, statusCode,
 *   message, retryAfter? }`.
 *
 * `undefined` for another kind of context (a custom transport): the error stays as it is.
 * @internal
 */
export async function createTransportException(
  failure: LockFailure,
  type: string,
): Promise<Error | undefined> {
  switch (type) {
    case 'http':
      return new HttpException(
        {
          statusCode: failure.status,
          error: REASON_PHRASES[failure.status],
          message: failure.message,
        },
        failure.status,
        { cause: failure.error },
      );
    case 'graphql':
      return new LockGraphQLError(failure);
    case 'rpc': {
      const { RpcException } = await loadPackage<{ RpcException: new (error: object) => Error }>(
        '@nestjs/microservices',
        'RpcException',
      );
      return new RpcException(errorPayload(failure));
    }
    case 'ws': {
      const { WsException } = await loadPackage<{ WsException: new (error: object) => Error }>(
        '@nestjs/websockets',
        'WsException',
      );
      return new WsException(errorPayload(failure));
    }
    default:
      return undefined;
  }
}

function errorPayload(failure: LockFailure): object {
  return {
    status: 'error',
    code: failure.code,
    statusCode: failure.status,
    message: failure.message,
    ...(failure.retryAfter !== undefined && { retryAfter: failure.retryAfter }),
  };
}

const loaded = new Map<string, Promise<unknown>>();

/**
 * The Nest package of a transport, loaded when its first lock failure is answered. It is there:
 * its handler is running. A specifier in a variable keeps bundlers from requiring it of
 * applications that do not use that transport; Node gives the CommonJS and the ES module build
 * the instance the application loaded, so `instanceof` in its exception filters holds.
 */
function loadPackage<T>(specifier: string, member: keyof T & string): Promise<T> {
  let loading = loaded.get(specifier);
  if (!loading) {
    loading = import(specifier).then((namespace: Record<string, unknown>) =>
      // A CommonJS module imported from ES modules may show its exports under `default` only.
      member in namespace ? namespace : (namespace.default as Record<string, unknown>),
    );
    loaded.set(specifier, loading);
  }
  return loading as Promise<T>;
}
