import { Migration } from '@mikro-orm/migrations';

export class Migration20261206212939_email_change_known_devices extends Migration {

  override name = 'Migration20261206212939_email_change_known_devices';

  override up(): void | Promise<void> {
    this.addSql(`create table \`known_devices\` (\`id\` text not null primary key, \`user_id\` text not null, \`device_hash\` text not null, \`first_seen_at\` datetime not null, \`last_seen_at\` datetime not null, constraint \`known_devices_user_id_foreign\` foreign key (\`user_id\`) references \`users\` (\`id\`) on delete cascade);`);
    this.addSql(`create index \`known_devices_user_id_index\` on \`known_devices\` (\`user_id\`);`);
    this.addSql(`create unique index \`known_devices_user_id_device_hash_unique\` on \`known_devices\` (\`user_id\`, \`device_hash\`);`);

    this.addSql(`pragma foreign_keys = off;`);
    this.addSql(`create table \`email_tokens__temp_alter\` (\`token_hash\` text not null primary key, \`user_id\` text not null, \`purpose\` text check (\`purpose\` in ('confirm-email', 'reset-password', 'change-email', 'cancel-email-change')) not null, \`email\` text not null, \`new_email\` text null, \`session_id\` text null, \`created_at\` datetime not null, \`expires_at\` datetime not null, \`used_at\` datetime null, constraint \`email_tokens_user_id_foreign\` foreign key (\`user_id\`) references \`users\` (\`id\`) on delete cascade);`);
    this.addSql(`insert into \`email_tokens__temp_alter\` select \`token_hash\`, \`user_id\`, \`purpose\`, \`email\`, null as \`new_email\`, null as \`session_id\`, \`created_at\`, \`expires_at\`, \`used_at\` from \`email_tokens\`;`);
    this.addSql(`drop table \`email_tokens\`;`);
    this.addSql(`alter table \`email_tokens__temp_alter\` rename to \`email_tokens\`;`);
    this.addSql(`create index \`email_tokens_user_id_index\` on \`email_tokens\` (\`user_id\`);`);
    this.addSql(`pragma foreign_keys = on;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists \`known_devices\`;`);

    this.addSql(`pragma foreign_keys = off;`);
    this.addSql(`create table \`email_tokens__temp_alter\` (\`token_hash\` TEXT not null primary key, \`user_id\` TEXT not null, \`purpose\` TEXT check (\`purpose\` in ('confirm-email', 'reset-password')) not null, \`email\` TEXT not null, \`created_at\` datetime not null, \`expires_at\` datetime not null, \`used_at\` datetime null, constraint \`email_tokens_user_id_foreign\` foreign key (\`user_id\`) references \`users\` (\`id\`) on update no action on delete cascade);`);
    this.addSql(`insert into \`email_tokens__temp_alter\` select \`token_hash\`, \`user_id\`, \`purpose\`, \`email\`, \`created_at\`, \`expires_at\`, \`used_at\` from \`email_tokens\`;`);
    this.addSql(`drop table \`email_tokens\`;`);
    this.addSql(`alter table \`email_tokens__temp_alter\` rename to \`email_tokens\`;`);
    this.addSql(`create index \`email_tokens_user_id_index\` on \`email_tokens\` (\`user_id\`);`);
    this.addSql(`pragma foreign_keys = on;`);
  }

}
