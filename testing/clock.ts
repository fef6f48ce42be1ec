/** A clock that moves only when told to (tests, the benchmark). */
export class FrozenClock {
  constructor(public nowMs = Date.UTC(2025, 0, 1)) {}
  readonly now = (): number => this.nowMs;
  advance(secs: number): void {
    this.nowMs += secs * 1000;
  }
}
