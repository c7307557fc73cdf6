import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import type { INestApplication } from '@nestjs/common';
import { Args, GraphQLModule, Mutation, Query, Resolver } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { DistributedLock, RedisLockModule } from '../../lib/index.js';
import { useRedisServer } from '../support/suites.js';
import { CapturingLogger } from './fixtures/capturing-logger.js';
import { appClient, duringOutage, Orders, PREFIX } from './fixtures/failures.fixture.js';

const typeDefs = /* GraphQL */ `
  type Query {
    ping: String
  }
  type Mutation {
    pay(orderId: String!): String
    payNow(orderId: String!): String
    route(orderId: String!): String
    register(id: String): String
  }
`;

@Resolver()
class OrdersResolver {
  constructor(private readonly orders: Orders) {}

  @Query()
  ping(): string {
    return 'pong';
  }

  @Mutation()
  pay(@Args('orderId') orderId: string): Promise<string> {
    return this.orders.pay(orderId);
  }

  @Mutation()
  payNow(@Args('orderId') orderId: string): Promise<string> {
    return this.orders.payNow(orderId);
  }

  /** The decorator on the resolver itself. */
  @Mutation()
  @DistributedLock('order:<orderId>', { waitTimeout: 100 })
  async route(@Args('orderId') orderId: string): Promise<string> {
    return `routed ${orderId}`;
  }

  @Mutation()
  register(@Args('id') id?: string): Promise<string> {
    return this.orders.register({ id });
  }
}

type Server = 'apollo' | 'mercurius';

async function boot(
  server: Server,
  url: string,
): Promise<{ app: INestApplication; url: string; logs: CapturingLogger }> {
  const logs = new CapturingLogger();
  const graphql =
    server === 'apollo'
      ? GraphQLModule.forRoot<ApolloDriverConfig>({
          driver: ApolloDriver,
          typeDefs,
          playground: false,
          // As in development: Apollo then puts the stack trace of every error in the answer.
          includeStacktraceInErrorResponses: true,
        })
      : GraphQLModule.forRoot<MercuriusDriverConfig>({
          driver: MercuriusDriver,
          typeDefs,
          graphiql: false,
          // Its query cache is loaded with import() of an ES module, which jest's CommonJS
          // runtime refuses; the cache plays no part in what is tested here.
          cache: false,
        });
  const moduleRef = await Test.createTestingModule({
    imports: [RedisLockModule.forRoot({ url, keyPrefix: PREFIX }), graphql],
    providers: [Orders, OrdersResolver],
  }).compile();
  // Apollo on Express, Mercurius on Fastify (the one it runs on).
  const app =
    server === 'apollo'
      ? moduleRef.createNestApplication({ logger: logs })
      : moduleRef.createNestApplication(new FastifyAdapter(), { logger: logs });
  await app.listen(0, '127.0.0.1');
  return { app, url: await app.getUrl(), logs };
}

interface GraphQLAnswer {
  data: Record<string, unknown> | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

describe.each<Server>(['apollo', 'mercurius'])(
  'what a GraphQL client gets when locking fails (%s, nothing registered)',
  (server) => {
    let app: INestApplication;
    let url: string;
    let logs: CapturingLogger;
    afterAll(async () => {
      await app.close();
    });
    const db = useRedisServer();

    beforeAll(async () => {
      ({ app, url, logs } = await boot(server, db.server.url));
    });
    beforeEach(() => {
      logs.lines.length = 0;
    });

    const mutate = async (field: string, args: string): Promise<GraphQLAnswer> => {
      const response = await request(url)
        .post('/graphql')
        .send({ query: `mutation { ${field}${args ? `(${args})` : ''} }` });
      return response.body as GraphQLAnswer;
    };

    /** Nothing of the code reaches the client: no stack frame, file, class or method. */
    const expectNothingOfTheCode = (answer: GraphQLAnswer): void => {
      const text = JSON.stringify(answer);
      expect(text).not.toMatch(/\s at |\.ts:|\.js:|Orders|LockTimeoutError|LockKeyError/);
    };

    it.each(['pay', 'payNow', 'route'])(
      'a lock held by someone else: extensions.code CONFLICT (%s)',
      async (field) => {
        const held = await db.manager({ keyPrefix: PREFIX }).acquire('order:1');
        const answer = await mutate(field, 'orderId: "1"');
        await held.release();
        expect(answer.data).toEqual({ [field]: null });
        expect(answer.errors).toHaveLength(1);
        expect(answer.errors![0]).toMatchObject({
          message: 'The resource is locked by another request; try again later.',
          extensions: { code: 'CONFLICT' },
        });
        expectNothingOfTheCode(answer);
        expect(logs.lines.filter((l) => l.level === 'error')).toEqual([]);
        expect((await mutate(field, 'orderId: "1"')).data).toEqual({
          [field]: field === 'route' ? 'routed 1' : 'paid 1',
        });
      },
    );

    it('a key the arguments cannot build: BAD_REQUEST, the details in the log only', async () => {
      const answer = await mutate('register', '');
      expect(answer.errors![0]).toMatchObject({
        message: 'A value the request needs is missing or invalid.',
        extensions: { code: 'BAD_REQUEST' },
      });
      expectNothingOfTheCode(answer);
      expect(logs.ours()).toEqual([
        expect.stringMatching(
          /^warn: GraphQL Mutation\.register \(OrdersResolver\.register\(\)\): @DistributedLock\('customer:<customer\.id>'\) on Orders\.register\(\): <customer\.id> is undefined/,
        ),
      ]);
    });

    it.each(['pay', 'route'])(
      'Redis down: extensions.code SERVICE_UNAVAILABLE, and an error in the log naming the cause (%s)',
      async (field) => {
        const answer = await duringOutage(db.server, [appClient(app), db.redis], () =>
          mutate(field, 'orderId: "2"'),
        );
        expect(answer.errors![0]).toMatchObject({
          message: 'The service cannot process this request right now; try again later.',
          extensions: { code: 'SERVICE_UNAVAILABLE', retryAfter: 5 },
        });
        expectNothingOfTheCode(answer);
        expect(logs.ours()).toContainEqual(
          expect.stringMatching(
            new RegExp(
              `^error: GraphQL Mutation\\.${field} \\(OrdersResolver\\.${field}\\(\\)\\): .*Could not acquire lock "order:2" .*Redis did not answer the last attempt: .+ Answered 503 SERVICE_UNAVAILABLE\\.$`,
            ),
          ),
        );
        // Nest does not log it again with a stack trace.
        expect(logs.lines.filter((l) => l.level === 'error' && l.context !== 'RedisLock')).toEqual(
          [],
        );
      },
    );
  },
);
