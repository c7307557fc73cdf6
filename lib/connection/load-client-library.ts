import { InvalidLockOptionsError } from '../core/errors/invalid-lock-options.error.js';

/** The client packages the module can create connections with: both optional peers. */
export type ClientLibrary = 'ioredis' | 'redis';

/**
 * Loads a client package the application installed, when the module first needs it: an
 * application on node-redis never loads ioredis, and the reverse. A dynamic `import()` of a
 * name held in a variable runs from the CommonJS and the ES module builds alike. A package
 * that is not installed is an options error naming the install command.
 * @internal
 */
export async function loadClientLibrary<T>(name: ClientLibrary, option: string): Promise<T> {
  let loaded: unknown;
  try {
    loaded = await import(name);
  } catch (error) {
    const { code } = (error ?? {}) as { code?: unknown };
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new InvalidLockOptionsError(
        option,
        `RedisLockModule creates this connection with ${name === 'redis' ? 'node-redis (the redis package)' : 'ioredis'}, which is not installed: run \`npm install ${name}\`, or pass a client you created yourself as client.`,
      );
    }
    throw error;
  }
  // A CommonJS module imported from ES modules may show its exports under `default` only.
  const namespace = loaded as Record<string, unknown>;
  const entry = name === 'ioredis' ? 'Redis' : 'createClient';
  return (entry in namespace ? namespace : namespace['default']) as T;
}
