import { Migration } from '@mikro-orm/migrations';

export class Migration20261207075111_impersonation extends Migration {

  override name = 'Migration20261207075111_impersonation';

  override up(): void | Promise<void> {
    this.addSql(`alter table \`audit_events\` add column \`impersonated_user_id\` text null;`);
    this.addSql(`alter table \`audit_events\` add column \`impersonated_user_email\` text null;`);

    this.addSql(`alter table \`sessions\` add column \`impersonator_id\` text null constraint \`sessions_impersonator_id_foreign\` references \`users\` (\`id\`) on delete cascade;`);
    this.addSql(`alter table \`sessions\` add column \`impersonation_reason\` text null;`);
    this.addSql(`create index \`sessions_impersonator_id_index\` on \`sessions\` (\`impersonator_id\`);`);

  }

  override down(): void | Promise<void> {
    this.addSql(`alter table \`audit_events\` drop column \`impersonated_user_id\`;`);
    this.addSql(`alter table \`audit_events\` drop column \`impersonated_user_email\`;`);

    this.addSql(`drop index \`sessions_impersonator_id_index\`;`);
    this.addSql(`alter table \`sessions\` drop column \`impersonator_id\`;`);
    this.addSql(`alter table \`sessions\` drop column \`impersonation_reason\`;`);
  }

}
