/**
 * A Map of at most `max` entries, for what a server remembers in memory (verified tokens, signed URLs, ids): the key
 * set last is the newest, and past `max` the oldest is forgotten.
 */
export class RecentMap<K, V> extends Map<K, V> {
  constructor(private readonly max: number) {
    super();
  }

  override set(key: K, value: V): this {
    this.delete(key);
    super.set(key, value);
    if (this.size > this.max) this.delete(this.keys().next().value!);
    return this;
  }
}
