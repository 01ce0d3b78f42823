import { Migration } from '@mikro-orm/migrations';

export class Migration20261123121855_maintenance extends Migration {

  override name = 'Migration20261123121855_maintenance';

  override up(): void | Promise<void> {
    this.addSql(`create table \`system_settings\` (\`key\` text not null primary key, \`value\` json not null, \`updated_at\` datetime not null, \`updated_by\` text null);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists \`system_settings\`;`);
  }

}
