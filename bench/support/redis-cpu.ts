import type { RedisServer } from '../../test/support/redis-server.js';

/**
 * CPU seconds the redis-server process has used (user + system), from INFO cpu. The server
 * serves one contender at a time in the sequential scenarios, so the difference over a
 * contender's turn is what its commands and scripts cost Redis (plus one INFO call).
 */
export async function redisCpuSeconds(server: RedisServer): Promise<number> {
  const info = String(await server.command('INFO', 'cpu'));
  const field = (name: string): number =>
    Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
  return field('used_cpu_user') + field('used_cpu_sys');
}
