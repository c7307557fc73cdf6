/**
 * The place of one value in a {@link LinkedList}: kept by whoever added the value, which takes
 * it out again with `remove()` (or the list's `remove(node)`).
 * @internal
 */
export class ListNode<T> {
  /** @internal */ prev: ListNode<T> | undefined = undefined;
  /** @internal */ next: ListNode<T> | undefined = undefined;
  /** @internal The list it is in; undefined once removed. */ list: LinkedList<T> | undefined;

  constructor(
    readonly value: T,
    list: LinkedList<T>,
  ) {
    this.list = list;
  }

  /** Takes the value out of its list; does nothing once it is out. */
  remove(): void {
    this.list?.remove(this);
  }
}

/**
 * An insertion-ordered collection for values that each stay a short while (an operation in
 * flight, a lease held for a millisecond) in a collection that lives as long as the manager.
 *
 * Why not a Set: V8 keeps a Set's entries in a hash table that it replaces by a new one as
 * entries come and go. A replaced table that had grown old still points at the values it held,
 * and the young generation's collections count pointers from the old generation as live until
 * a full collection finds that table dead: so values that stayed a millisecond outlived those
 * collections and were promoted. With thousands of short stays a second, each acquire +
 * release left about 1.7 KB for full collections (10 of them in 4 s of 64 loops against 1
 * without the three Sets of the hot path), about a fifth of the client's CPU per call. Here an
 * insert and a removal rewrite a few pointers, and a removed node keeps none, so nothing
 * outlives its use.
 * @internal
 */
export class LinkedList<T> implements Iterable<T> {
  private head: ListNode<T> | undefined = undefined;
  private tail: ListNode<T> | undefined = undefined;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds `value` at the end; returns its node, which removes it. */
  push(value: T): ListNode<T> {
    const node = new ListNode(value, this);
    const tail = this.tail;
    node.prev = tail;
    if (tail === undefined) this.head = node;
    else tail.next = node;
    this.tail = node;
    this.count++;
    return node;
  }

  /** Takes the node's value out; does nothing when the node is not in this list. */
  remove(node: ListNode<T>): void {
    if (node.list !== this) return;
    const { prev, next } = node;
    if (prev === undefined) this.head = next;
    else prev.next = next;
    if (next === undefined) this.tail = prev;
    else next.prev = prev;
    node.prev = undefined;
    node.next = undefined;
    node.list = undefined;
    this.count--;
  }

  /** Empties the list; every node is out afterwards. */
  clear(): void {
    for (let node = this.head; node !== undefined;) {
      const next = node.next;
      node.prev = undefined;
      node.next = undefined;
      node.list = undefined;
      node = next;
    }
    this.head = undefined;
    this.tail = undefined;
    this.count = 0;
  }

  /**
   * The values in insertion order. The value being visited may be removed during the walk;
   * removing any other is not allowed (take a copy with `[...list]` first).
   */
  *[Symbol.iterator](): Iterator<T> {
    for (let node = this.head; node !== undefined;) {
      const next = node.next;
      yield node.value;
      node = next;
    }
  }
}
