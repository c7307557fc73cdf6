/** A first-come-first-served line of waiters, each keeping its place until `placeUntil`. @internal */
export interface Queue {
  next: number;
  readonly places: Map<string, Place>;
}

/** A waiter's place: its turn, until when it keeps it, its name in announcements, its owner. @internal */
export interface Place {
  readonly order: number;
  placeUntil: number;
  id: string;
  owner: string;
}

/** The first live waiter of a queue. @internal */
export type Head = Place & { readonly token: string };

/** The first waiter whose place has not expired; expired ones before it are dropped. @internal */
export function queueHead(queue: Queue, now: number): Head | undefined {
  let head: Head | undefined;
  for (const [token, place] of queue.places) {
    if (place.placeUntil <= now) continue;
    if (!head || place.order < head.order) head = { token, ...place };
  }
  // Places that expired before the head are gone for good (as the scripts drop them).
  for (const [token, place] of queue.places) {
    if (place.placeUntil <= now && (!head || place.order < head.order)) queue.places.delete(token);
  }
  return head;
}

/** Puts a waiter at the end of the queue, or renews the place it already has. @internal */
export function keepPlace(
  queue: Queue,
  token: string,
  now: number,
  placeTtl: number,
  id: string,
  owner: string,
): void {
  const place = queue.places.get(token);
  if (place) {
    place.placeUntil = now + placeTtl;
    place.id = id;
    place.owner = owner;
  } else {
    queue.places.set(token, { order: queue.next++, placeUntil: now + placeTtl, id, owner });
  }
}
