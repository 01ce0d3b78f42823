import { Migration } from '@mikro-orm/migrations';

export class Migration20261207030112_user_bans extends Migration {

  override name = 'Migration20261207030112_user_bans';

  override up(): void | Promise<void> {
    this.addSql(`alter table "users" add "banned_until" timestamptz null, add "ban_reason" varchar(500) null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "users" drop column "banned_until", drop column "ban_reason";`);
  }

}
