import type { ArgumentsHost } from '@nestjs/common';

/**
 * The call a lock failure answered, for the log: `POST /orders/42 (OrdersController.pay())`,
 * `GraphQL Mutation.pay (OrdersResolver.pay())`, `RPC "stock.take" (StockHandlers.take())`.
 * The query string is left out: it may carry what does not belong in logs.
 * @internal
 */
export function describeCallSite(host: ArgumentsHost, handler?: string): string {
  const suffix = handler === undefined ? '' : ` (${handler})`;
  switch (host.getType<string>()) {
    case 'http': {
      const request = host.switchToHttp().getRequest<{
        method?: string;
        originalUrl?: string;
        url?: string;
      }>();
      const path = String(request?.originalUrl ?? request?.url ?? '').split('?')[0];
      return `${request?.method ?? 'HTTP'} ${path}${suffix}`;
    }
    case 'graphql': {
      const info = host.getArgByIndex<
        { parentType?: { name?: string }; fieldName?: string } | undefined
      >(3);
      const field = info?.fieldName ? ` ${info.parentType?.name ?? ''}.${info.fieldName}` : '';
      return `GraphQL${field}${suffix}`;
    }
    case 'rpc':
      return `RPC${pattern(host.switchToRpc().getContext<unknown>())}${suffix}`;
    case 'ws':
      return `WebSocket${pattern(host.switchToWs())}${suffix}`;
    default:
      return `${host.getType<string>()}${suffix}`;
  }
}

/** The message pattern, where the transport's context knows it. */
function pattern(source: unknown): string {
  const getPattern = (source as { getPattern?: () => unknown } | undefined)?.getPattern;
  if (typeof getPattern !== 'function') return '';
  const value: unknown = getPattern.call(source);
  return value === undefined
    ? ''
    : ` ${typeof value === 'string' ? `"${value}"` : JSON.stringify(value)}`;
}
