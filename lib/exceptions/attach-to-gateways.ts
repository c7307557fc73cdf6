import { type NestInterceptor, UseInterceptors } from '@nestjs/common';
import type { ModulesContainer } from '@nestjs/core';
import type { LockExceptionsInterceptor } from './lock-exceptions.interceptor.js';

/** The metadata `@WebSocketGateway()` puts on its class (`GATEWAY_METADATA` of Nest's). */
const GATEWAY_METADATA = 'websockets:is_gateway';

/** One interceptor per gateway class, following the application that booted last. */
interface Delegate extends NestInterceptor {
  current: LockExceptionsInterceptor;
}
const delegates = new WeakMap<object, Delegate>();

/**
 * Gives every WebSocket gateway of the application the interceptor that answers lock errors.
 * Nest applies no global enhancer to gateways (not `APP_INTERCEPTOR`, not `useGlobal*`), so it
 * goes on each gateway class, as `@UseInterceptors()` would put it there, innermost. It must
 * run before the gateways are connected (`app.init()`): it runs while providers are created.
 *
 * A class used by several applications of one process (tests) gets one interceptor, which
 * follows the application that booted last: the metadata of a class outlives an application.
 * @internal
 */
export function attachToGateways(
  modules: ModulesContainer,
  interceptor: LockExceptionsInterceptor,
): void {
  for (const module of modules.values()) {
    for (const wrapper of module.providers.values()) {
      const type: unknown = wrapper.metatype;
      if (typeof type !== 'function' || !Reflect.getMetadata(GATEWAY_METADATA, type)) continue;
      let delegate = delegates.get(type);
      if (delegate) {
        delegate.current = interceptor;
        continue;
      }
      delegate = {
        current: interceptor,
        intercept(context, next) {
          return this.current.intercept(context, next);
        },
      };
      delegates.set(type, delegate);
      UseInterceptors(delegate)(type);
    }
  }
}
