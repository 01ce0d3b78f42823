import { Migration } from '@mikro-orm/migrations';

// Challenges are sealed in their tokens (src/mfa/challenges.ts): the table keeps only the answered
// ones. Challenges pending during the upgrade are not readable any more (they last 5 minutes).
export class Migration20261207183422_login_challenges_sealed extends Migration {

  override name = 'Migration20261207183422_login_challenges_sealed';

  override up(): void | Promise<void> {
    this.addSql(`drop table if exists "login_challenges" cascade;`);
    this.addSql(`create table "login_challenges" ("id" varchar(32) not null, "expires_at" timestamptz not null, "used_at" timestamptz null, "failures" int not null default 0, primary key ("id"));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "login_challenges" cascade;`);
    this.addSql(`create table "login_challenges" ("id" varchar(36) not null, "token_hash" varchar(64) not null, "user_id" varchar(36) not null, "method" varchar(64) not null, "created_at" timestamptz not null, "expires_at" timestamptz not null, "used_at" timestamptz null, "failures" int not null default 0, primary key ("id"));`);
    this.addSql(`alter table "login_challenges" add constraint "login_challenges_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "login_challenges_user_id_index" on "login_challenges" ("user_id");`);
    this.addSql(`alter table "login_challenges" add constraint "login_challenges_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);
  }

}
