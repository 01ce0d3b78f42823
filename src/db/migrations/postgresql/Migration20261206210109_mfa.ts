import { Migration } from '@mikro-orm/migrations';

export class Migration20261206210109_mfa extends Migration {

  override name = 'Migration20261206210109_mfa';

  override up(): void | Promise<void> {
    this.addSql(`create table "totp_factors" ("id" varchar(36) not null, "user_id" varchar(36) not null, "secret" varchar(255) not null, "created_at" timestamptz not null, "confirmed_at" timestamptz null, "last_used_step" int null, primary key ("id"));`);
    this.addSql(`alter table "totp_factors" add constraint "totp_factors_user_id_unique" unique ("user_id");`);

    this.addSql(`create table "recovery_codes" ("id" varchar(36) not null, "user_id" varchar(36) not null, "code_hash" varchar(64) not null, "created_at" timestamptz not null, "used_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "recovery_codes_user_id_index" on "recovery_codes" ("user_id");`);

    this.addSql(`create table "login_challenges" ("id" varchar(36) not null, "token_hash" varchar(64) not null, "user_id" varchar(36) not null, "method" varchar(64) not null, "created_at" timestamptz not null, "expires_at" timestamptz not null, "used_at" timestamptz null, "failures" int not null default 0, primary key ("id"));`);
    this.addSql(`alter table "login_challenges" add constraint "login_challenges_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "login_challenges_user_id_index" on "login_challenges" ("user_id");`);

    this.addSql(`alter table "sessions" add "authenticated_at" timestamptz null;`);

    this.addSql(`alter table "totp_factors" add constraint "totp_factors_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);

    this.addSql(`alter table "recovery_codes" add constraint "recovery_codes_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);

    this.addSql(`alter table "login_challenges" add constraint "login_challenges_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "totp_factors" cascade;`);
    this.addSql(`drop table if exists "recovery_codes" cascade;`);
    this.addSql(`drop table if exists "login_challenges" cascade;`);

    this.addSql(`alter table "sessions" drop column "authenticated_at";`);
  }

}
