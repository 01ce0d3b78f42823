import { Migration } from '@mikro-orm/migrations';

export class Migration20261207090500_webhooks extends Migration {

  override name = 'Migration20261207090500_webhooks';

  override up(): void | Promise<void> {
    this.addSql(`create table \`webhook_endpoints\` (\`id\` text not null primary key, \`url\` text not null, \`description\` text null, \`event_types\` json not null, \`enabled\` integer not null default true, \`secret\` text not null, \`previous_secret\` text null, \`previous_secret_until\` datetime null, \`created_at\` datetime not null, \`updated_at\` datetime not null);`);

    this.addSql(`create table \`webhook_events\` (\`id\` text not null primary key, \`type\` text not null, \`payload\` text not null, \`created_at\` datetime not null);`);
    this.addSql(`create index \`webhook_events_created_at_index\` on \`webhook_events\` (\`created_at\`);`);

    this.addSql(`create table \`webhook_deliveries\` (\`id\` integer not null primary key autoincrement, \`event_id\` text not null, \`endpoint_id\` text not null, \`status\` text check (\`status\` in ('pending', 'succeeded', 'failed')) not null, \`attempts\` integer not null default 0, \`next_attempt_at\` datetime not null, \`lease_until\` datetime null, \`retry_until\` datetime not null, \`last_attempt_at\` datetime null, \`last_response_status\` integer null, \`last_error\` text null, \`created_at\` datetime not null, \`delivered_at\` datetime null, constraint \`webhook_deliveries_event_id_foreign\` foreign key (\`event_id\`) references \`webhook_events\` (\`id\`) on delete cascade, constraint \`webhook_deliveries_endpoint_id_foreign\` foreign key (\`endpoint_id\`) references \`webhook_endpoints\` (\`id\`) on delete cascade);`);
    this.addSql(`create index \`webhook_deliveries_event_id_index\` on \`webhook_deliveries\` (\`event_id\`);`);
    this.addSql(`create index \`webhook_deliveries_endpoint_id_index\` on \`webhook_deliveries\` (\`endpoint_id\`);`);
    this.addSql(`create index \`webhook_deliveries_status_next_attempt_at_index\` on \`webhook_deliveries\` (\`status\`, \`next_attempt_at\`);`);
    this.addSql(`create index \`webhook_deliveries_endpoint_id_id_index\` on \`webhook_deliveries\` (\`endpoint_id\`, \`id\`);`);
  }

  override down(): void | Promise<void> {

    this.addSql(`drop table if exists \`webhook_deliveries\`;`);
    this.addSql(`drop table if exists \`webhook_events\`;`);
    this.addSql(`drop table if exists \`webhook_endpoints\`;`);
  }

}
