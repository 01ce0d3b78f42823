import { Migration } from '@mikro-orm/migrations';

// Organization roles made over the API (src/organizations/roles.ts); roles declared in code are not stored.
export class Migration20261208003000_organization_roles extends Migration {

  override name = 'Migration20261208003000_organization_roles';

  override up(): void | Promise<void> {
    this.addSql(`create table \`organization_roles\` (\`name\` text not null primary key, \`description\` text not null, \`permissions\` json not null, \`created_at\` datetime not null, \`updated_at\` datetime not null);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists \`organization_roles\`;`);
  }

}
