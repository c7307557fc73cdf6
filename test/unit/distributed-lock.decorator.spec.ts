import { Get, Post, SetMetadata, UseGuards, type CanActivate } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { Cron } from '@nestjs/schedule';
import { SubscribeMessage } from '@nestjs/websockets';
// Observable as a value: decorator metadata names the return type only when it is one.
import { isObservable, lastValueFrom, Observable } from 'rxjs';
import {
  DISTRIBUTED_LOCK_METADATA,
  DistributedLock,
  InvalidLockOptionsError,
  LockKeyError,
  LockServiceUnavailableError,
} from '../../lib/index.js';

class AllowAll implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

type Method = (...args: any[]) => unknown;

/** Every reflect-metadata entry of a method, as a plain object. */
function metadataOf(method: Method): Record<string, unknown> {
  const entries: Record<string, unknown> = {};
  for (const key of Reflect.getMetadataKeys(method)) {
    if (key === DISTRIBUTED_LOCK_METADATA) continue;
    entries[String(key)] = Reflect.getMetadata(key, method);
  }
  return entries;
}

describe('@DistributedLock keeps what other decorators attached, in every order', () => {
  class Plain {
    @Post(':id')
    @UseGuards(AllowAll)
    @SetMetadata('custom', 42)
    @Cron('0 * * * * *')
    @MessagePattern('orders.buy')
    @SubscribeMessage('buy')
    async handle(id: string, quantity: number): Promise<string> {
      return `${id}:${quantity}`;
    }
  }

  class LockOutermost {
    @DistributedLock('order:<id>')
    @Post(':id')
    @UseGuards(AllowAll)
    @SetMetadata('custom', 42)
    @Cron('0 * * * * *')
    @MessagePattern('orders.buy')
    @SubscribeMessage('buy')
    async handle(id: string, quantity: number): Promise<string> {
      return `${id}:${quantity}`;
    }
  }

  class LockInnermost {
    @Post(':id')
    @UseGuards(AllowAll)
    @SetMetadata('custom', 42)
    @Cron('0 * * * * *')
    @MessagePattern('orders.buy')
    @SubscribeMessage('buy')
    @DistributedLock('order:<id>')
    async handle(id: string, quantity: number): Promise<string> {
      return `${id}:${quantity}`;
    }
  }

  class LockInTheMiddle {
    @Post(':id')
    @UseGuards(AllowAll)
    @SetMetadata('custom', 42)
    @DistributedLock('order:<id>')
    @Cron('0 * * * * *')
    @MessagePattern('orders.buy')
    @SubscribeMessage('buy')
    async handle(id: string, quantity: number): Promise<string> {
      return `${id}:${quantity}`;
    }
  }

  const expected = metadataOf(Plain.prototype.handle);

  it.each([
    ['outermost', LockOutermost],
    ['innermost', LockInnermost],
    ['in the middle', LockInTheMiddle],
  ])('with the lock %s', (_, Class) => {
    const method = Class.prototype.handle as Method;
    expect(Object.keys(expected).length).toBeGreaterThanOrEqual(6);
    expect(metadataOf(method)).toEqual(expected);
    expect(Reflect.getMetadata(DISTRIBUTED_LOCK_METADATA, method)).toEqual({
      key: 'order:<id>',
      options: {},
    });
    expect(method.name).toBe('handle');
    expect(method.length).toBe(2);
    // TypeScript's design:* metadata lives on the prototype and is untouched.
    expect(Reflect.getMetadata('design:paramtypes', Class.prototype, 'handle')).toEqual([
      String,
      Number,
    ]);
    expect(Reflect.getMetadata('design:returntype', Class.prototype, 'handle')).toBe(Promise);
  });

  it('lets two of our decorators stack, the outer one still reading parameter names', () => {
    class Stacked {
      @DistributedLock('outer:<orderId>')
      @DistributedLock('inner:<orderId>')
      async handle(orderId: string): Promise<string> {
        return orderId;
      }
    }
    expect(Reflect.getMetadata(DISTRIBUTED_LOCK_METADATA, Stacked.prototype.handle)).toEqual({
      key: 'outer:<orderId>',
      options: {},
    });
  });

  it('records the options on the method for tools', () => {
    class Job {
      @Get()
      @DistributedLock('job:settle', { onLocked: 'skip', ttl: 5_000 })
      async run(): Promise<void> {}
    }
    expect(Reflect.getMetadata(DISTRIBUTED_LOCK_METADATA, Job.prototype.run)).toEqual({
      key: 'job:settle',
      options: { onLocked: 'skip', ttl: 5_000 },
    });
  });
});

describe('@DistributedLock fails at class definition, with advice', () => {
  it('on invalid options', () => {
    const define = (options: object) => () => {
      class Broken {
        @DistributedLock('k', options as never)
        async m(): Promise<void> {}
      }
      return Broken;
    };
    expect(define({ ttl: -1 })).toThrow(InvalidLockOptionsError);
    expect(define({ waitTimeout: 1.5 })).toThrow(/waitTimeout must be/);
    expect(define({ onLocked: 'wait' })).toThrow(/'throw', 'skip' or a function/);
    expect(define({ onLost: 'retry' })).toThrow(
      /@DistributedLock option onLost must be 'throw', 'ignore' or a function, but received "retry"/,
    );
    expect(define({ mapErrors: 'no' })).toThrow(
      /@DistributedLock option mapErrors must be true, false or a function/,
    );
    expect(define({ timeout: 5 })).toThrow(/Unknown @DistributedLock option "timeout"/);
  });

  it('on a placeholder that names no parameter', () => {
    expect(() => {
      class Broken {
        @DistributedLock('order:<orderId>')
        async buy(productId: string): Promise<string> {
          return productId;
        }
      }
      return Broken;
    }).toThrow(LockKeyError);
  });

  it('on names hidden by a wrapping decorator applied first', () => {
    const wrap: MethodDecorator = (_t, _k, descriptor: PropertyDescriptor) => {
      const original = descriptor.value;
      descriptor.value = function (this: unknown, ...args: unknown[]) {
        return original.apply(this, args);
      };
    };
    expect(() => {
      class Broken {
        @DistributedLock('order:<orderId>')
        @wrap
        async buy(orderId: string): Promise<string> {
          return orderId;
        }
      }
      return Broken;
    }).toThrow(/cannot be read.*\(\.\.\.args\).*<0>/);
  });
});

describe('@DistributedLock types', () => {
  it('accepts async and Observable methods, and a key function typed against the method', async () => {
    class Typed {
      @DistributedLock<Typed['buy']>(
        (orderId, quantity) => `order:${orderId}:${quantity.toFixed(0)}`,
      )
      async buy(orderId: string, quantity: number): Promise<number> {
        return quantity + orderId.length;
      }

      @DistributedLock('stream:<0>')
      watch(id: string): Observable<string> {
        return id as unknown as Observable<string>;
      }

      // @ts-expect-error a synchronous method cannot keep its return type: the lock is async
      @DistributedLock('sync')
      now(): number {
        return Date.now();
      }
    }
    // No application here: each call shows its shape by how it reports the missing service.
    const typed = new Typed();
    expect(Reflect.getMetadata(DISTRIBUTED_LOCK_METADATA, Typed.prototype.buy)).toEqual({
      key: '(function)',
      options: {},
    });
    const bought = typed.buy('o-1', 2);
    expect(bought).toBeInstanceOf(Promise);
    await expect(bought).rejects.toBeInstanceOf(LockServiceUnavailableError);
    // An Observable method stays one, and does nothing before it is subscribed to.
    const watched = typed.watch('s-1');
    expect(isObservable(watched)).toBe(true);
    await expect(lastValueFrom(watched)).rejects.toBeInstanceOf(LockServiceUnavailableError);
    // What the compiler refuses above answers a Promise at run time: the lock comes first.
    const now = typed.now() as unknown;
    expect(now).toBeInstanceOf(Promise);
    await expect(now).rejects.toThrow('@DistributedLock on Typed.now() found no RedisLockService');
  });
});
