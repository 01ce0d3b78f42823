import { Migration } from '@mikro-orm/migrations';

export class Migration20261206205736_passkeys extends Migration {

  override name = 'Migration20261206205736_passkeys';

  override up(): void | Promise<void> {
    this.addSql(`create table \`passkey_challenges\` (\`id\` text not null primary key, \`challenge\` text not null, \`purpose\` text check (\`purpose\` in ('register', 'authenticate')) not null, \`user_id\` text null, \`created_at\` datetime not null, \`expires_at\` datetime not null, \`used_at\` datetime null, constraint \`passkey_challenges_user_id_foreign\` foreign key (\`user_id\`) references \`users\` (\`id\`) on delete cascade);`);
    this.addSql(`create index \`passkey_challenges_user_id_index\` on \`passkey_challenges\` (\`user_id\`);`);
    this.addSql(`create index \`passkey_challenges_expires_at_index\` on \`passkey_challenges\` (\`expires_at\`);`);

    this.addSql(`create table \`passkeys\` (\`id\` text not null primary key, \`user_id\` text not null, \`credential_id\` text not null, \`public_key\` blob not null, \`counter\` bigint not null, \`transports\` json not null, \`device_type\` text check (\`device_type\` in ('singleDevice', 'multiDevice')) not null, \`backed_up\` integer not null, \`name\` text not null, \`created_at\` datetime not null, \`last_used_at\` datetime null, constraint \`passkeys_user_id_foreign\` foreign key (\`user_id\`) references \`users\` (\`id\`) on delete cascade);`);
    this.addSql(`create index \`passkeys_user_id_index\` on \`passkeys\` (\`user_id\`);`);
    this.addSql(`create unique index \`passkeys_credential_id_unique\` on \`passkeys\` (\`credential_id\`);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists \`passkey_challenges\`;`);
    this.addSql(`drop table if exists \`passkeys\`;`);
  }

}
