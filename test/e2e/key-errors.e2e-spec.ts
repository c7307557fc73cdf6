import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import {
  DistributedLock,
  InvalidLockOptionsError,
  LockKeyError,
  RedisLockService,
  RedisLockTestingModule,
} from '../../lib/index.js';

@Injectable()
class Orders {
  runs = 0;

  constructor(readonly locks: RedisLockService) {}

  @DistributedLock('order:<orderId>')
  async pay(orderId: string | undefined): Promise<string> {
    this.runs++;
    return `paid ${orderId}`;
  }

  /** A key function whose key the engine refuses: longer than the module's maxKeyLength. */
  @DistributedLock((orderId: string) => `order:${orderId.repeat(20)}`)
  async refund(orderId: string): Promise<string> {
    this.runs++;
    return `refunded ${orderId}`;
  }
}

// The key is refused before any backend call: the in-memory module shows it as Redis would.
describe('a key that cannot be used: one error, whichever layer refuses it', () => {
  let moduleRef: TestingModule;
  let orders: Orders;
  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [RedisLockTestingModule.forRoot({ maxKeyLength: 64 })],
      providers: [Orders],
    }).compile();
    await moduleRef.init();
    orders = moduleRef.get(Orders);
  });
  afterAll(() => moduleRef.close());

  const refusal = (call: Promise<unknown>) =>
    call.then(
      () => undefined,
      (e: unknown) => e,
    );

  it("is an InvalidLockOptionsError of option 'key' in every case", async () => {
    const fromTemplate = await refusal(orders.pay(undefined));
    const fromEngineViaDecorator = await refusal(orders.refund('0123456789'));
    const fromService = await refusal(orders.locks.withLock('', () => 'never'));
    for (const error of [fromTemplate, fromEngineViaDecorator, fromService]) {
      expect(error).toBeInstanceOf(InvalidLockOptionsError);
      expect((error as InvalidLockOptionsError).option).toBe('key');
    }
    expect(orders.runs).toBe(0);
  });

  it('from a decorator, the LockKeyError subclass, naming the template and the placeholder', async () => {
    const fromTemplate = (await refusal(orders.pay(undefined))) as LockKeyError;
    expect(fromTemplate).toBeInstanceOf(LockKeyError);
    expect(fromTemplate).toMatchObject({
      name: 'LockKeyError',
      template: 'order:<orderId>',
      placeholder: '<orderId>',
    });
    expect(fromTemplate.message).toMatch(/^.*Orders\.pay\(\).*not run/);

    const fromEngine = (await refusal(orders.refund('0123456789'))) as LockKeyError;
    expect(fromEngine).toBeInstanceOf(LockKeyError);
    expect(fromEngine.template).toBe('(function)');
    expect(fromEngine.message).toMatch(/^@DistributedLock on Orders\.refund\(\): .*64.*not run\.$/);
  });

  it("from the service, the engine's own error: the key came from code, not a request", async () => {
    const error = await refusal(orders.locks.withLock('', () => 'never'));
    expect(error).not.toBeInstanceOf(LockKeyError);
    expect((error as Error).name).toBe('InvalidLockOptionsError');
  });
});
