/** One event in a message's history. */
export interface SmsMessageHistoryEntry {
  /** OpenSMS event name, e.g. `sms.delivered`. */
  event: string;
  status: string;
  /** The event's `timestamp`, ISO-8601. */
  timestamp: string;
  /** `false` for an event that arrived after a newer status: recorded, not applied. */
  applied: boolean;
}

/** Answer of `GET /messages/:messageId`. */
export interface SmsMessageView {
  messageId: string;
  phone: string;
  status: string;
  error: string | null;
  /** When the current status was reached, per OpenSMS. */
  statusAt: string;
  /** When the row last changed. */
  updatedAt: string;
  /** Every event received for the message, oldest first, each once. */
  history: SmsMessageHistoryEntry[];
}
