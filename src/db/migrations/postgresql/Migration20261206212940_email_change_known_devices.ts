import { Migration } from '@mikro-orm/migrations';

export class Migration20261206212940_email_change_known_devices extends Migration {

  override name = 'Migration20261206212940_email_change_known_devices';

  override up(): void | Promise<void> {
    this.addSql(`create table "known_devices" ("id" varchar(36) not null, "user_id" varchar(36) not null, "device_hash" varchar(64) not null, "first_seen_at" timestamptz not null, "last_seen_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "known_devices" add constraint "known_devices_user_id_device_hash_unique" unique ("user_id", "device_hash");`);

    this.addSql(`alter table "email_tokens" drop constraint "email_tokens_purpose_check";`);
    this.addSql(`alter table "email_tokens" add "new_email" varchar(320) null, add "session_id" varchar(36) null;`);
    this.addSql(`alter table "email_tokens" add constraint "email_tokens_purpose_check" check ("purpose" in ('confirm-email', 'reset-password', 'change-email', 'cancel-email-change'));`);

    this.addSql(`alter table "known_devices" add constraint "known_devices_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "known_devices" cascade;`);

    this.addSql(`alter table "email_tokens" drop constraint "email_tokens_purpose_check";`);
    this.addSql(`alter table "email_tokens" drop column "new_email", drop column "session_id";`);
    this.addSql(`alter table "email_tokens" add constraint "email_tokens_purpose_check" check ("purpose" in ('confirm-email', 'reset-password'));`);
  }

}
