import { Migration } from '@mikro-orm/migrations';

export class Migration20261207075111_impersonation extends Migration {

  override name = 'Migration20261207075111_impersonation';

  override up(): void | Promise<void> {
    this.addSql(`alter table "audit_events" add "impersonated_user_id" varchar(36) null, add "impersonated_user_email" varchar(320) null;`);

    this.addSql(`alter table "sessions" add "impersonator_id" varchar(36) null, add "impersonation_reason" varchar(500) null;`);
    this.addSql(`alter table "sessions" add constraint "sessions_impersonator_id_foreign" foreign key ("impersonator_id") references "users" ("id") on delete cascade;`);
    this.addSql(`create index "sessions_impersonator_id_index" on "sessions" ("impersonator_id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "sessions" drop constraint "sessions_impersonator_id_foreign";`);

    this.addSql(`alter table "audit_events" drop column "impersonated_user_id", drop column "impersonated_user_email";`);

    this.addSql(`drop index "sessions_impersonator_id_index";`);
    this.addSql(`alter table "sessions" drop column "impersonator_id", drop column "impersonation_reason";`);
  }

}
