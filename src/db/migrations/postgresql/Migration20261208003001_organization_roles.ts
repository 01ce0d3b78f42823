import { Migration } from '@mikro-orm/migrations';

// Organization roles made over the API (src/organizations/roles.ts); roles declared in code are not stored.
export class Migration20261208003001_organization_roles extends Migration {

  override name = 'Migration20261208003001_organization_roles';

  override up(): void | Promise<void> {
    this.addSql(`create table "organization_roles" ("name" varchar(64) not null, "description" varchar(500) not null, "permissions" jsonb not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("name"));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "organization_roles" cascade;`);
  }

}
