import { DeadlineWatch } from '../../lib/core/util/deadline-watch.js';
import { LinkedList } from '../../lib/core/util/linked-list.js';
import { monotonicNow } from '../../lib/core/util/clock.util.js';

describe('LinkedList', () => {
  it('keeps insertion order through removals at the head, the middle and the tail', () => {
    const list = new LinkedList<string>();
    const nodes = ['a', 'b', 'c', 'd', 'e'].map((value) => list.push(value));
    nodes[2]!.remove();
    nodes[0]!.remove();
    nodes[4]!.remove();
    expect([...list]).toEqual(['b', 'd']);
    expect(list.size).toBe(2);
    list.push('f');
    expect([...list]).toEqual(['b', 'd', 'f']);
  });

  it('ignores a second removal and a node of another list', () => {
    const list = new LinkedList<number>();
    const other = new LinkedList<number>();
    const node = list.push(1);
    list.push(2);
    const foreign = other.push(3);
    node.remove();
    node.remove();
    list.remove(foreign);
    expect([...list]).toEqual([2]);
    expect(list.size).toBe(1);
    expect([...other]).toEqual([3]);
  });

  it('lets a walk remove the value it is visiting', () => {
    const list = new LinkedList<number>();
    const nodes = [1, 2, 3, 4].map((value) => list.push(value));
    const seen: number[] = [];
    for (const value of list) {
      seen.push(value);
      if (value % 2 === 0) nodes[value - 1]!.remove();
    }
    expect(seen).toEqual([1, 2, 3, 4]);
    expect([...list]).toEqual([1, 3]);
  });

  it('leaves a removed node without links, so a node kept by its owner keeps no neighbour alive', () => {
    const list = new LinkedList<number>();
    list.push(1);
    const middle = list.push(2);
    list.push(3);
    middle.remove();
    expect(middle.prev).toBeUndefined();
    expect(middle.next).toBeUndefined();
    expect(middle.list).toBeUndefined();
  });

  it('clear() takes every node out', () => {
    const list = new LinkedList<number>();
    const first = list.push(1);
    list.push(2);
    list.clear();
    expect(list.size).toBe(0);
    expect([...list]).toEqual([]);
    expect(first.list).toBeUndefined();
    first.remove();
    expect(list.size).toBe(0);
  });
});

describe('DeadlineWatch (fake timers)', () => {
  let watch: DeadlineWatch;
  beforeEach(() => {
    jest.useFakeTimers();
    watch = new DeadlineWatch();
  });
  afterEach(() => {
    watch.close();
    jest.useRealTimers();
  });

  it('fires each deadline once, at its time, and never a cancelled one', () => {
    const fired: string[] = [];
    const now = monotonicNow();
    watch.watch(now + 30, () => fired.push('30'));
    const cancelled = watch.watch(now + 10, () => fired.push('10'));
    watch.watch(now + 20, () => fired.push('20'));
    cancelled.cancel();
    jest.advanceTimersByTime(19);
    expect(fired).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(fired).toEqual(['20']);
    jest.advanceTimersByTime(10);
    expect(fired).toEqual(['20', '30']);
    jest.advanceTimersByTime(100);
    expect(fired).toEqual(['20', '30']);
  });

  it('does not fire a deadline that an earlier callback of the same moment cancelled', () => {
    const fired: string[] = [];
    const now = monotonicNow();
    const later: Array<{ cancel(): void }> = [];
    watch.watch(now + 10, () => {
      fired.push('first');
      for (const deadline of later) deadline.cancel();
    });
    later.push(watch.watch(now + 10, () => fired.push('second')));
    jest.advanceTimersByTime(10);
    expect(fired).toEqual(['first']);
  });

  it('fires a deadline that a callback adds, even one earlier than those left', () => {
    const fired: string[] = [];
    const now = monotonicNow();
    watch.watch(now + 10, () => {
      fired.push('10');
      watch.watch(monotonicNow() + 5, () => fired.push('15'));
    });
    watch.watch(now + 50, () => fired.push('50'));
    jest.advanceTimersByTime(15);
    expect(fired).toEqual(['10', '15']);
    jest.advanceTimersByTime(35);
    expect(fired).toEqual(['10', '15', '50']);
  });

  it('bound() rejects an unanswered promise after its time and settles an answered one', async () => {
    const never = new Promise<never>(() => undefined);
    const late = watch.bound(never, 100);
    const answered = watch.bound(Promise.resolve('ok'), 100);
    await expect(answered).resolves.toBe('ok');
    jest.advanceTimersByTime(100);
    await expect(late).rejects.toThrow('Redis did not answer within 100 ms');
  });
});
