import { Migration } from '@mikro-orm/migrations';

export class Migration20261123112917_roles_audit extends Migration {

  override name = 'Migration20261123112917_roles_audit';

  override up(): void | Promise<void> {
    this.addSql(`create table \`audit_events\` (\`id\` integer not null primary key autoincrement, \`at\` datetime not null, \`actor_type\` text check (\`actor_type\` in ('user', 'anonymous', 'system', 'cli')) not null, \`actor_id\` text null, \`actor_email\` text null, \`action\` text not null, \`target_type\` text null, \`target_id\` text null, \`ip\` text null, \`user_agent\` text null, \`details\` json null);`);
    this.addSql(`create index \`audit_events_at_index\` on \`audit_events\` (\`at\`);`);
    this.addSql(`create index \`audit_events_actor_id_index\` on \`audit_events\` (\`actor_id\`);`);
    this.addSql(`create index \`audit_events_target_id_index\` on \`audit_events\` (\`target_id\`);`);
    this.addSql(`create index \`audit_events_action_index\` on \`audit_events\` (\`action\`);`);

    this.addSql(`create table \`permissions\` (\`id\` text not null primary key, \`name\` text not null, \`description\` text null, \`built_in\` integer not null default false, \`created_at\` datetime not null);`);
    this.addSql(`create unique index \`permissions_name_unique\` on \`permissions\` (\`name\`);`);

    this.addSql(`create table \`roles\` (\`id\` text not null primary key, \`name\` text not null, \`description\` text null, \`built_in\` integer not null default false, \`created_at\` datetime not null, \`updated_at\` datetime not null);`);
    this.addSql(`create unique index \`roles_name_unique\` on \`roles\` (\`name\`);`);

    this.addSql(`create table \`role_permissions\` (\`role_id\` text not null, \`permission_id\` text not null, primary key (\`role_id\`, \`permission_id\`), constraint \`role_permissions_role_id_foreign\` foreign key (\`role_id\`) references \`roles\` (\`id\`) on update cascade on delete cascade, constraint \`role_permissions_permission_id_foreign\` foreign key (\`permission_id\`) references \`permissions\` (\`id\`) on update cascade on delete cascade);`);
    this.addSql(`create index \`role_permissions_role_id_index\` on \`role_permissions\` (\`role_id\`);`);
    this.addSql(`create index \`role_permissions_permission_id_index\` on \`role_permissions\` (\`permission_id\`);`);

    this.addSql(`create table \`user_roles\` (\`user_id\` text not null, \`role_id\` text not null, primary key (\`user_id\`, \`role_id\`), constraint \`user_roles_user_id_foreign\` foreign key (\`user_id\`) references \`users\` (\`id\`) on update cascade on delete cascade, constraint \`user_roles_role_id_foreign\` foreign key (\`role_id\`) references \`roles\` (\`id\`) on update cascade on delete cascade);`);
    this.addSql(`create index \`user_roles_user_id_index\` on \`user_roles\` (\`user_id\`);`);
    this.addSql(`create index \`user_roles_role_id_index\` on \`user_roles\` (\`role_id\`);`);

    this.addSql(`create index \`users_created_at_id_index\` on \`users\` (\`created_at\`, \`id\`);`);
  }

  override down(): void | Promise<void> {

    this.addSql(`drop table if exists \`audit_events\`;`);
    this.addSql(`drop table if exists \`permissions\`;`);
    this.addSql(`drop table if exists \`roles\`;`);
    this.addSql(`drop table if exists \`role_permissions\`;`);
    this.addSql(`drop table if exists \`user_roles\`;`);

    this.addSql(`drop index \`users_created_at_id_index\`;`);
  }

}
