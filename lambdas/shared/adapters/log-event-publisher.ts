/** `EventPublisher` for local mode and tests: each event becomes a log line (and is kept, for tests to read). */
import type { Logger } from '../log';
import type { EventPublisher } from '../ports';

export class LogEventPublisher implements EventPublisher {
  /** Every event published, oldest first. */
  readonly events: { detailType: string; detail: Readonly<Record<string, unknown>> }[] = [];

  constructor(private readonly log: Logger) {}

  async publish(detailType: string, detail: Readonly<Record<string, unknown>>): Promise<void> {
    this.events.push({ detailType, detail });
    this.log.info('event', { detail_type: detailType, ...detail });
  }
}
