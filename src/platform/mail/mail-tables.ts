/** Delivery status of outgoing mail (no bodies: links carry tokens). Platform-level. */
export interface MailDeliveriesTable {
  id: string;
  kind: string;
  recipient: string;
  transport: string;
  status: 'sending' | 'sent' | 'failed';
  attempts: number;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface MailTables {
  mail_deliveries: MailDeliveriesTable;
}
