import { Migration } from '@mikro-orm/migrations';

export class Migration20261206205736_passkeys extends Migration {

  override name = 'Migration20261206205736_passkeys';

  override up(): void | Promise<void> {
    this.addSql(`create table "passkey_challenges" ("id" varchar(36) not null, "challenge" varchar(64) not null, "purpose" text not null, "user_id" varchar(36) null, "created_at" timestamptz not null, "expires_at" timestamptz not null, "used_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "passkey_challenges_user_id_index" on "passkey_challenges" ("user_id");`);
    this.addSql(`create index "passkey_challenges_expires_at_index" on "passkey_challenges" ("expires_at");`);

    this.addSql(`create table "passkeys" ("id" varchar(36) not null, "user_id" varchar(36) not null, "credential_id" varchar(1400) not null, "public_key" bytea not null, "counter" bigint not null, "transports" jsonb not null, "device_type" text not null, "backed_up" boolean not null, "name" varchar(100) not null, "created_at" timestamptz not null, "last_used_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "passkeys_user_id_index" on "passkeys" ("user_id");`);
    this.addSql(`alter table "passkeys" add constraint "passkeys_credential_id_unique" unique ("credential_id");`);

    this.addSql(`alter table "passkey_challenges" add constraint "passkey_challenges_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);
    this.addSql(`alter table "passkey_challenges" add constraint "passkey_challenges_purpose_check" check ("purpose" in ('register', 'authenticate'));`);

    this.addSql(`alter table "passkeys" add constraint "passkeys_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);
    this.addSql(`alter table "passkeys" add constraint "passkeys_device_type_check" check ("device_type" in ('singleDevice', 'multiDevice'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "passkey_challenges" cascade;`);
    this.addSql(`drop table if exists "passkeys" cascade;`);
  }

}
