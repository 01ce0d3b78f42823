import { Migration } from '@mikro-orm/migrations';

export class Migration20261123155034_oauth_app_challenge extends Migration {

  override name = 'Migration20261123155034_oauth_app_challenge';

  override up(): void | Promise<void> {
    // Login codes live 60 s; the few outstanding at upgrade time are dropped rather than left unredeemable.
    // SQLite adds a NOT NULL column only with a default; no row keeps it.
    this.addSql(`delete from \`oauth_login_codes\`;`);
    this.addSql(`alter table \`oauth_login_codes\` add column \`app_challenge\` text not null default '';`);

    this.addSql(`alter table \`oauth_flows\` add column \`app_challenge\` text null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table \`oauth_flows\` drop column \`app_challenge\`;`);

    this.addSql(`alter table \`oauth_login_codes\` drop column \`app_challenge\`;`);
  }

}
