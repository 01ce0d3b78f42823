import { Migration } from '@mikro-orm/migrations';

export class Migration20261206210108_mfa extends Migration {

  override name = 'Migration20261206210108_mfa';

  override up(): void | Promise<void> {
    this.addSql(`create table \`totp_factors\` (\`id\` text not null primary key, \`user_id\` text not null, \`secret\` text not null, \`created_at\` datetime not null, \`confirmed_at\` datetime null, \`last_used_step\` integer null, constraint \`totp_factors_user_id_foreign\` foreign key (\`user_id\`) references \`users\` (\`id\`) on delete cascade);`);
    this.addSql(`create unique index \`totp_factors_user_id_unique\` on \`totp_factors\` (\`user_id\`);`);

    this.addSql(`create table \`recovery_codes\` (\`id\` text not null primary key, \`user_id\` text not null, \`code_hash\` text not null, \`created_at\` datetime not null, \`used_at\` datetime null, constraint \`recovery_codes_user_id_foreign\` foreign key (\`user_id\`) references \`users\` (\`id\`) on delete cascade);`);
    this.addSql(`create index \`recovery_codes_user_id_index\` on \`recovery_codes\` (\`user_id\`);`);

    this.addSql(`create table \`login_challenges\` (\`id\` text not null primary key, \`token_hash\` text not null, \`user_id\` text not null, \`method\` text not null, \`created_at\` datetime not null, \`expires_at\` datetime not null, \`used_at\` datetime null, \`failures\` integer not null default 0, constraint \`login_challenges_user_id_foreign\` foreign key (\`user_id\`) references \`users\` (\`id\`) on delete cascade);`);
    this.addSql(`create unique index \`login_challenges_token_hash_unique\` on \`login_challenges\` (\`token_hash\`);`);
    this.addSql(`create index \`login_challenges_user_id_index\` on \`login_challenges\` (\`user_id\`);`);

    this.addSql(`alter table \`sessions\` add column \`authenticated_at\` datetime null;`);

  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists \`totp_factors\`;`);
    this.addSql(`drop table if exists \`recovery_codes\`;`);
    this.addSql(`drop table if exists \`login_challenges\`;`);


    this.addSql(`alter table \`sessions\` drop column \`authenticated_at\`;`);
  }

}
