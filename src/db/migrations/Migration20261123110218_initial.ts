import { Migration } from '@mikro-orm/migrations';

export class Migration20261123110218_initial extends Migration {

  override name = 'Migration20261123110218_initial';

  override up(): void | Promise<void> {
    this.addSql(`create table \`users\` (\`id\` text not null primary key, \`email\` text not null, \`email_key\` text not null, \`password_hash\` text null, \`email_confirmed_at\` datetime null, \`display_name\` text null, \`first_name\` text null, \`last_name\` text null, \`phone\` text null, \`bio\` text null, \`avatar_url\` text null, \`disabled\` integer not null default false, \`created_at\` datetime not null, \`updated_at\` datetime not null);`);
    this.addSql(`create unique index \`users_email_key_unique\` on \`users\` (\`email_key\`);`);

    this.addSql(`create table \`sessions\` (\`id\` text not null primary key, \`token_hash\` text not null, \`user_id\` text not null, \`created_at\` datetime not null, \`last_seen_at\` datetime not null, \`expires_at\` datetime not null, \`ip_address\` text null, \`user_agent\` text null, constraint \`sessions_user_id_foreign\` foreign key (\`user_id\`) references \`users\` (\`id\`) on delete cascade);`);
    this.addSql(`create unique index \`sessions_token_hash_unique\` on \`sessions\` (\`token_hash\`);`);
    this.addSql(`create index \`sessions_user_id_index\` on \`sessions\` (\`user_id\`);`);

    this.addSql(`create table \`email_tokens\` (\`token_hash\` text not null primary key, \`user_id\` text not null, \`purpose\` text check (\`purpose\` in ('confirm-email', 'reset-password')) not null, \`email\` text not null, \`created_at\` datetime not null, \`expires_at\` datetime not null, \`used_at\` datetime null, constraint \`email_tokens_user_id_foreign\` foreign key (\`user_id\`) references \`users\` (\`id\`) on delete cascade);`);
    this.addSql(`create index \`email_tokens_user_id_index\` on \`email_tokens\` (\`user_id\`);`);
  }

  override down(): void | Promise<void> {

    this.addSql(`drop table if exists \`users\`;`);
    this.addSql(`drop table if exists \`sessions\`;`);
    this.addSql(`drop table if exists \`email_tokens\`;`);
  }

}
