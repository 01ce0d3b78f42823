import { Migration } from '@mikro-orm/migrations';

export class Migration20261207030111_user_bans extends Migration {

  override name = 'Migration20261207030111_user_bans';

  override up(): void | Promise<void> {
    this.addSql(`alter table \`users\` add column \`banned_until\` datetime null;`);
    this.addSql(`alter table \`users\` add column \`ban_reason\` text null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table \`users\` drop column \`banned_until\`;`);
    this.addSql(`alter table \`users\` drop column \`ban_reason\`;`);
  }

}
