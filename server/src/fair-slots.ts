/**
 * At most `running` tasks at once, for work that would otherwise take every core (image transformations). Tasks that
 * must wait are started by turns between their owners (projects), not in arrival order: one owner's burst queues
 * behind itself, never in front of another's next task. An owner may have at most `waitingPerOwner` tasks waiting;
 * past that its tasks are refused at once, so that nobody's backlog grows without bound.
 */
export class SlotsFull extends Error {
  constructor() {
    super('Too many tasks are waiting for this owner');
    this.name = 'SlotsFull';
  }
}

export class FairSlots {
  private active = 0;
  /** Each waiting owner's tasks; the map's order is the order of turns (an owner goes to the back after each). */
  private readonly waiting = new Map<string, Array<() => void>>();

  constructor(
    readonly running: number,
    readonly waitingPerOwner: number,
  ) {}

  /** Runs `task` once a slot is free and it is `owner`'s turn; throws SlotsFull if `owner` has too many waiting. */
  async run<T>(owner: string, task: () => Promise<T>): Promise<T> {
    if (this.active < this.running && this.waiting.size === 0) {
      this.active++;
    } else {
      const queue = this.waiting.get(owner) ?? [];
      if (queue.length >= this.waitingPerOwner) throw new SlotsFull();
      // The slot is handed over by release(): `active` counts it throughout.
      await new Promise<void>((resolve) => {
        queue.push(resolve);
        if (queue.length === 1) this.waiting.set(owner, queue);
      });
    }
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  /** Tasks waiting, of all owners (for tests and logs). */
  get waitingCount(): number {
    let count = 0;
    for (const queue of this.waiting.values()) count += queue.length;
    return count;
  }

  private release(): void {
    const turn = this.waiting.entries().next();
    if (turn.done) {
      this.active--;
      return;
    }
    const [owner, queue] = turn.value;
    const next = queue.shift()!;
    this.waiting.delete(owner);
    if (queue.length > 0) this.waiting.set(owner, queue);
    next();
  }
}
