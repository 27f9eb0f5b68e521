/**
 * The admission queue: one FIFO lane per tenant, served round-robin. Hand-written because removal from the
 * middle (a client that gives up while queued) must be O(1) and allocation-free: lanes are intrusive doubly
 * linked lists through the waiting requests themselves, and no queue library on npm offers that with lanes.
 */

/** A queued item: the queue threads its lane through these two fields. */
export interface Queued<T extends Queued<T>> {
  /** Lane key (the tenant). */
  readonly tenant: string;
  /** Previous item in the same lane, while queued. */
  prev: T | undefined;
  /** Next item in the same lane, while queued. */
  next: T | undefined;
}

interface Lane<T> {
  head: T | undefined;
  tail: T | undefined;
}

/** Round-robin between tenants, FIFO within one; push, peek, served and remove are O(1). */
export class TenantQueue<T extends Queued<T>> {
  /** Lanes with waiting items; Map order is the round-robin order (a served lane moves to the back). */
  readonly #lanes = new Map<string, Lane<T>>();
  #size = 0;

  /** Items waiting. */
  get size(): number {
    return this.#size;
  }

  /** Tenants with at least one item waiting. */
  get tenants(): number {
    return this.#lanes.size;
  }

  /** Appends to the tenant's lane (a new tenant joins the back of the rotation). */
  push(item: T): void {
    let lane = this.#lanes.get(item.tenant);
    if (!lane) this.#lanes.set(item.tenant, (lane = { head: undefined, tail: undefined }));
    item.prev = lane.tail;
    item.next = undefined;
    if (lane.tail) lane.tail.next = item;
    else lane.head = item;
    lane.tail = item;
    this.#size++;
  }

  /** The head of the lane whose turn it is, left in place (serve it, then call `served`). */
  peek(): T | undefined {
    for (const lane of this.#lanes.values()) return lane.head;
    return undefined;
  }

  /** Ends a tenant's turn: its lane, if anything is left in it, moves to the back of the rotation. */
  served(tenant: string): void {
    const lane = this.#lanes.get(tenant);
    if (!lane) return;
    this.#lanes.delete(tenant);
    this.#lanes.set(tenant, lane);
  }

  /** Removes an item from wherever it waits (its tenant keeps its place in the rotation). */
  remove(item: T): void {
    const lane = this.#lanes.get(item.tenant);
    if (!lane) return;
    this.#unlink(lane, item);
    if (!lane.head) this.#lanes.delete(item.tenant);
  }

  #unlink(lane: Lane<T>, item: T): void {
    if (item.prev) item.prev.next = item.next;
    else lane.head = item.next;
    if (item.next) item.next.prev = item.prev;
    else lane.tail = item.prev;
    item.prev = item.next = undefined;
    this.#size--;
  }
}
