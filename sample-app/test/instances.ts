import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AppModule } from '../src/app.module';

export interface ShopInstance {
  readonly app: INestApplication;
  readonly url: string;
}

/**
 * Starts `count` instances of the sample app in this process, each with its own Redis
 * connections and lock module, as separate servers behind a load balancer would be.
 */
export async function startShop(redisUrl: string, count: number): Promise<ShopInstance[]> {
  process.env.REDIS_URL = redisUrl;
  return Promise.all(
    Array.from({ length: count }, async () => {
      const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
      const app = moduleRef.createNestApplication({ logger: ['error'] });
      await app.listen(0, '127.0.0.1');
      return { app, url: await app.getUrl() };
    }),
  );
}

export async function stopShop(instances: readonly ShopInstance[]): Promise<void> {
  await Promise.all(instances.map((instance) => instance.app.close()));
}

export async function post(url: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json().catch(() => undefined) };
}

export async function put(url: string, body: unknown): Promise<number> {
  const response = await fetch(url, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return response.status;
}
