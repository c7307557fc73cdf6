import type { AnyFunction } from './any-function.type.js';

/**
 * Copies what other decorators attached to a method onto its wrapper: every reflect-metadata
 * entry (route, guards, pipes, @Cron, @MessagePattern, Swagger...) and own properties, and keeps
 * `name` and `length`. Without it a route decorated above us would silently disappear (404).
 * @internal
 */
export function copyMethodMetadata(original: AnyFunction, wrapper: AnyFunction): void {
  for (const key of Reflect.getOwnMetadataKeys(original)) {
    Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, original), wrapper);
  }
  for (const property of Reflect.ownKeys(original)) {
    if (property === 'prototype' || property === 'caller' || property === 'arguments') continue;
    const descriptor = Object.getOwnPropertyDescriptor(original, property);
    if (descriptor) Object.defineProperty(wrapper, property, descriptor);
  }
}
