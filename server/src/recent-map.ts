/**
 * A Map of bounded size, for what a server remembers in memory (verified tokens, signed URLs, ids, images made): the
 * key set last is the newest, and past `max` the oldest are forgotten. Each entry weighs 1, or what `weigh` says (its
 * bytes, say).
 */
export class RecentMap<K, V> extends Map<K, V> {
  private weight = 0;

  constructor(
    private readonly max: number,
    private readonly weigh: (value: V) => number = () => 1,
  ) {
    super();
  }

  override set(key: K, value: V): this {
    this.delete(key);
    const weight = this.weigh(value);
    // Heavier than the bound: not kept (rather than everything else forgotten for nothing).
    if (weight > this.max) return this;
    super.set(key, value);
    this.weight += weight;
    while (this.weight > this.max) this.delete(this.keys().next().value!);
    return this;
  }

  override delete(key: K): boolean {
    if (!super.has(key)) return false;
    this.weight -= this.weigh(super.get(key)!);
    return super.delete(key);
  }

  override clear(): void {
    super.clear();
    this.weight = 0;
  }
}
