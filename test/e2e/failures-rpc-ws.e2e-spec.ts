import { Controller, type INestApplication, type INestMicroservice } from '@nestjs/common';
import {
  type ClientProxy,
  ClientProxyFactory,
  MessagePattern,
  Payload,
  Transport,
} from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { firstValueFrom } from 'rxjs';
import { io, type Socket } from 'socket.io-client';
import { DistributedLock, RedisLockModule } from '../../lib/index.js';
import { freePort } from '../support/redis-server.js';
import { useRedisServer } from '../support/suites.js';
import { CapturingLogger } from './fixtures/capturing-logger.js';
import { appClient, duringOutage, Orders, PREFIX } from './fixtures/failures.fixture.js';

const LOCKED = {
  status: 'error',
  code: 'CONFLICT',
  statusCode: 409,
  message: 'The resource is locked by another request; try again later.',
};
const UNAVAILABLE = {
  status: 'error',
  code: 'SERVICE_UNAVAILABLE',
  statusCode: 503,
  message: 'The service cannot process this request right now; try again later.',
  retryAfter: 5,
};

@Controller()
class OrdersHandlers {
  constructor(private readonly orders: Orders) {}

  @MessagePattern('orders.pay')
  pay(@Payload() order: { orderId: string }): Promise<string> {
    return this.orders.pay(order.orderId);
  }

  /** The decorator on the handler itself. */
  @MessagePattern('orders.route')
  @DistributedLock('order:<0.orderId>', { waitTimeout: 100 })
  async route(@Payload() order: { orderId: string }): Promise<string> {
    return `routed ${order.orderId}`;
  }
}

describe('what a microservice client gets when locking fails (TCP, nothing registered)', () => {
  let microservice: INestMicroservice;
  let client: ClientProxy;
  const logs = new CapturingLogger();
  afterAll(async () => {
    await client.close();
    await microservice.close();
  });
  const db = useRedisServer();

  beforeAll(async () => {
    const port = await freePort();
    const moduleRef = await Test.createTestingModule({
      imports: [RedisLockModule.forRoot({ url: db.server.url, keyPrefix: PREFIX })],
      controllers: [OrdersHandlers],
      providers: [Orders],
    }).compile();
    microservice = moduleRef.createNestMicroservice({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port },
      logger: logs,
    });
    await microservice.listen();
    client = ClientProxyFactory.create({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port },
    });
    await client.connect();
  });
  beforeEach(() => {
    logs.lines.length = 0;
  });

  const send = (pattern: string, orderId: string): Promise<unknown> =>
    firstValueFrom(client.send<string>(pattern, { orderId })).catch((error: unknown) => error);

  it.each(['orders.pay', 'orders.route'])(
    'a lock held by someone else: an RpcException of code CONFLICT (%s)',
    async (pattern) => {
      const held = await db.manager({ keyPrefix: PREFIX }).acquire('order:1');
      const answer = await send(pattern, '1');
      await held.release();
      expect(answer).toEqual(LOCKED);
      expect(logs.lines.filter((l) => l.level === 'error')).toEqual([]);
      expect(await send(pattern, '1')).toMatch(/^(paid|routed) 1$/);
    },
  );

  it.each(['orders.pay', 'orders.route'])(
    'Redis down: code SERVICE_UNAVAILABLE, and an error in the log naming the cause (%s)',
    async (pattern) => {
      const answer = await duringOutage(db.server, [appClient(microservice), db.redis], () =>
        send(pattern, '2'),
      );
      expect(answer).toEqual(UNAVAILABLE);
      const handler = pattern === 'orders.pay' ? 'pay' : 'route';
      expect(logs.ours()).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^error: RPC "${pattern}" \\(OrdersHandlers\\.${handler}\\(\\)\\): .*Could not acquire lock "order:2" .*Redis did not answer the last attempt: .+ Answered 503 SERVICE_UNAVAILABLE\\.$`,
          ),
        ),
      );
      expect(logs.of('RpcExceptionsHandler')).toEqual([]);
    },
  );
});

@WebSocketGateway()
class OrdersGateway {
  constructor(private readonly orders: Orders) {}

  @SubscribeMessage('pay')
  pay(@MessageBody() order: { orderId: string }): Promise<string> {
    return this.orders.pay(order.orderId);
  }

  /** The decorator on the gateway's handler itself. */
  @SubscribeMessage('route')
  @DistributedLock('order:<0.orderId>', { waitTimeout: 100 })
  async route(@MessageBody() order: { orderId: string }): Promise<string> {
    return `routed ${order.orderId}`;
  }
}

describe('what a WebSocket client gets when locking fails (socket.io, nothing registered)', () => {
  let app: INestApplication;
  let socket: Socket;
  const logs = new CapturingLogger();
  afterAll(async () => {
    socket.disconnect();
    await app.close();
  });
  const db = useRedisServer();

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [RedisLockModule.forRoot({ url: db.server.url, keyPrefix: PREFIX })],
      providers: [Orders, OrdersGateway],
    }).compile();
    app = moduleRef.createNestApplication({ logger: logs });
    await app.listen(0, '127.0.0.1');
    socket = io(await app.getUrl(), { transports: ['websocket'] });
    await new Promise<void>((resolve) => socket.once('connect', resolve));
  });
  beforeEach(() => {
    logs.lines.length = 0;
  });

  /** The gateway's answer: its ack, or the `exception` event Nest emits for an error. */
  const emit = (event: string, orderId: string): Promise<unknown> =>
    new Promise((resolve) => {
      socket.once('exception', resolve);
      socket.emit(event, { orderId }, (ack: unknown) => {
        socket.off('exception', resolve);
        resolve(ack);
      });
    });

  it.each(['pay', 'route'])(
    'a lock held by someone else: a WsException of code CONFLICT (%s)',
    async (event) => {
      const held = await db.manager({ keyPrefix: PREFIX }).acquire('order:1');
      const answer = await emit(event, '1');
      await held.release();
      expect(answer).toEqual(LOCKED);
      expect(logs.lines.filter((l) => l.level === 'error')).toEqual([]);
      expect(await emit(event, '1')).toMatch(/^(paid|routed) 1$/);
    },
  );

  it.each(['pay', 'route'])(
    'Redis down: code SERVICE_UNAVAILABLE, and an error in the log naming the cause (%s)',
    async (event) => {
      const answer = await duringOutage(db.server, [appClient(app), db.redis], () =>
        emit(event, '2'),
      );
      expect(answer).toEqual(UNAVAILABLE);
      expect(logs.ours()).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^error: WebSocket "${event}" \\(OrdersGateway\\.${event}\\(\\)\\): .*Could not acquire lock "order:2" .*Redis did not answer the last attempt: .+ Answered 503 SERVICE_UNAVAILABLE\\.$`,
          ),
        ),
      );
      expect(logs.of('WsExceptionsHandler')).toEqual([]);
    },
  );
});
